import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Config } from '../../config/env.js';
import type { Db } from '../../db/knex.js';
import { createImport, updateImport, type ImportRow } from '../../db/repositories/imports.js';
import { detectNotText, inspectCsvFile } from '../../domain/csv-import/file.js';
import { NOT_TEXT_DESCRIPTIONS, type ImportField, type NotTextKind } from '../../domain/csv-import/index.js';
import { customerImportWorkflowId, uniqueWorkflowIdPart } from '../../domain/workflow-ids.js';
import { HttpError } from '../errors.js';
import { withCallDeadline, type TemporalDeps } from './temporal.js';

/** `details[0]` of a 422 unrecognised_header and of a 415 not_a_text_file: the UI words them by code. */
interface HeaderProblemDetail {
  missing_columns: ImportField[];
  columns_found: string[];
}
interface NotTextDetail {
  detected: NotTextKind;
}

/** An uploaded file as multipart streams it. */
export interface Upload {
  /** The bytes; `truncated` once the stream stopped at the upload limit (IMPORT_MAX_BYTES). */
  file: Readable & { truncated?: boolean };
  /** The name the admin gave the file. */
  filename: string;
}

/** The name the admin gave the file, safe to show and to put in a header. */
const displayName = (name: string) =>
  path
    .basename(name)
    .replace(/[^\p{L}\p{N} ._()-]/gu, '_')
    .slice(0, 200) || 'import.csv';

/** The customer import's use case behind `POST /api/customers/import`. */
export class ImportService {
  constructor(
    private readonly db: Db,
    private readonly temporal: TemporalDeps,
    private readonly settings: Config['imports'],
  ) {}

  /**
   * Streams the upload to IMPORT_STORAGE_DIR, refuses an empty, too large, non-text or
   * header-less file before anything is queued (the file is removed again), inserts the import
   * and starts its `customer-import-<id>` workflow; answers the queued import. A workflow that
   * cannot be started leaves the import failed and its file removed.
   */
  async queue(upload: Upload, createdBy: string): Promise<ImportRow> {
    await mkdir(this.settings.storageDir, { recursive: true });
    const filePath = path.resolve(this.settings.storageDir, `${randomUUID()}.csv`);
    const discard = () => rm(filePath, { force: true });
    try {
      await pipeline(upload.file, createWriteStream(filePath));
    } catch (error) {
      await discard();
      throw error;
    }
    if (upload.file.truncated) {
      await discard();
      throw new HttpError(
        413,
        'file_too_large',
        `The file is larger than the import limit of ${this.settings.maxBytes} bytes (IMPORT_MAX_BYTES)`,
      );
    }
    const { size } = await stat(filePath);
    if (size === 0) {
      await discard();
      throw new HttpError(422, 'empty_file', 'The file is empty');
    }
    const notText = await detectNotText(filePath);
    if (notText) {
      await discard();
      const detail: NotTextDetail = { detected: notText };
      throw new HttpError(
        415,
        'not_a_text_file',
        `The file is not a CSV text file: it looks like ${NOT_TEXT_DESCRIPTIONS[notText]}. Save it as CSV (UTF-8 or Windows-1252) and upload that`,
        [detail],
      );
    }
    const { encoding, header } = await inspectCsvFile(filePath);
    if (!header.result.ok) {
      await discard();
      const detail: HeaderProblemDetail = { missing_columns: header.result.missing, columns_found: header.result.found };
      throw new HttpError(422, 'unrecognised_header', header.result.message, [detail]);
    }
    const row = await createImport(this.db, {
      fileName: displayName(upload.filename),
      filePath,
      fileBytes: size,
      encoding,
      delimiter: header.delimiter,
      createdBy,
      workflowId: (id) => customerImportWorkflowId(id, uniqueWorkflowIdPart()),
    });
    try {
      await withCallDeadline(this.temporal, () =>
        this.temporal.client.workflow.start('customerImport', {
          workflowId: row.workflow_id,
          taskQueue: this.temporal.taskQueue,
          args: [{ importId: row.id }],
        }),
      );
    } catch (error) {
      await updateImport(this.db, row.id, {
        status: 'failed',
        phase: 'done',
        error: 'The import could not be started',
        failure: { code: 'internal' },
        finished_at: new Date(),
      });
      await discard();
      throw error;
    }
    return row;
  }
}
