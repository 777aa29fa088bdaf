/** An import's life: queued → running (phases staging, validating) → completed | failed | cancelled. */
export const IMPORT_STATUSES = ['queued', 'running', 'cancelling', 'completed', 'failed', 'cancelled'] as const;
export type ImportStatus = (typeof IMPORT_STATUSES)[number];
export const IMPORT_PHASES = ['queued', 'staging', 'validating', 'done'] as const;
export type ImportPhase = (typeof IMPORT_PHASES)[number];

export const isFinished = (status: ImportStatus) => status === 'completed' || status === 'failed' || status === 'cancelled';

/** Failure type of an import whose file itself is the problem (no header, unreadable CSV): not retried. */
export const IMPORT_FILE_ERROR = 'ImportFileError';

/**
 * Why an import failed, as the admin UI words it (the failure's details carry it from the
 * activity; the English message stays in `error` for the logs). `internal`: anything that is
 * not the file's fault (retries used up).
 */
export type ImportFailure =
  | { code: 'file_missing' }
  | { code: 'unreadable_csv'; line: number }
  | { code: 'unrecognised_header'; missing_columns: string[]; columns_found: string[] }
  | { code: 'internal' };
