import { useTranslation } from 'react-i18next';
import type { ImportFailure } from '../../../domain/csv-import/status';
import { ApiError } from '../api/client';
import { errorText } from '../lib/errors';

/** Upload and cancel errors in the admin's words (a header problem: ImportUploadError). */
export function useImportErrorText() {
  const { t } = useTranslation();
  return (error: unknown) => {
    if (!(error instanceof ApiError)) return errorText(t, error);
    switch (error.code) {
      case 'file_too_large':
      case 'file_missing':
      case 'import_finished':
        return t(`imports.errors.${error.code}`);
      default:
        return error.status === 413 ? t('imports.errors.file_too_large') : errorText(t, error);
    }
  };
}

/** "De kopregel mist de kolommen …. Gevonden kolommen: …": the upload's refusal and a failed import say it alike. */
export function useMissingColumnsText() {
  const { t, i18n } = useTranslation();
  const list = (items: string[]) => new Intl.ListFormat(i18n.language, { type: 'conjunction' }).format(items);
  return (missing: string[], found: string[]) =>
    t('imports.errors.missing_columns', {
      count: missing.length,
      missing: list(missing.map((field) => t(`imports.columns.${field}`))),
      found: found.length ? list(found.map((name) => `‘${name}’`)) : t('imports.errors.no_columns'),
    });
}

/** Why an import failed, in the admin's language (the worker's English message stays in the logs). */
export function useImportFailureText() {
  const { t } = useTranslation();
  const missingColumns = useMissingColumnsText();
  return (failure: ImportFailure) => {
    switch (failure.code) {
      case 'unrecognised_header':
        return missingColumns(failure.missing_columns, failure.columns_found);
      case 'unreadable_csv':
        return t('imports.failure.unreadable_csv', { line: failure.line });
      default:
        return t(`imports.failure.${failure.code}`);
    }
  };
}
