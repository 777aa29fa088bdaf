import { useTranslation } from 'react-i18next';
import { ImportApiError } from '../api/imports';
import { Notice } from '../components/States';
import { useImportErrorText, useMissingColumnsText } from './import-errors';

/**
 * Why an upload was refused, in the admin's language only: the upload's own codes are worded from
 * their details (the columns a header lacks and has, what a file is instead of text); the API's
 * English message is never shown. Other errors as every import error.
 */
export function ImportUploadError({ error }: { error: unknown }) {
  const { t } = useTranslation();
  const otherText = useImportErrorText();
  const missingColumns = useMissingColumnsText();

  const text = () => {
    if (!(error instanceof ImportApiError)) return otherText(error);
    const { missing_columns: missing, columns_found: found = [], detected } = error.problem;
    if (error.code === 'unrecognised_header' && missing) return missingColumns(missing, found);
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
