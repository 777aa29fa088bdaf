import { useTranslation } from 'react-i18next';
import { ImportApiError } from '../api/imports';
import { Notice } from '../components/States';
import { useImportErrorText } from './import-errors';

/**
 * Why an upload was refused, in the admin's language only: the upload's own codes are worded from
 * their details (the columns a header lacks and has, what a file is instead of text); the API's
 * English message is never shown. Other errors as every import error.
 */
export function ImportUploadError({ error }: { error: unknown }) {
  const { t, i18n } = useTranslation();
  const otherText = useImportErrorText();
  const list = (items: string[]) => new Intl.ListFormat(i18n.language, { type: 'conjunction' }).format(items);

  const text = () => {
    if (!(error instanceof ImportApiError)) return otherText(error);
    const { missing_columns: missing, columns_found: found = [], detected } = error.problem;
    if (error.code === 'unrecognised_header' && missing) {
      return t('imports.errors.missing_columns', {
        count: missing.length,
        missing: list(missing.map((field) => t(`imports.columns.${field}`))),
        found: found.length ? list(found.map((name) => `‘${name}’`)) : t('imports.errors.no_columns'),
      });
    }
    if (error.code === 'not_a_text_file')
      return t('imports.errors.not_a_text_file', { kind: t(`imports.fileKind.${detected ?? 'binary'}`) });
    if (error.code === 'empty_file') return t('imports.errors.empty_file');
    return otherText(error);
  };

  return (
    <Notice kind="error" testId="import-upload-error">
      {text()}
    </Notice>
  );
}
