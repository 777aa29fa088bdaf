import { useTranslation } from 'react-i18next';
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
