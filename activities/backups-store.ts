import { createReadStream, createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  AbortMultipartUploadCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { ApplicationFailure } from '@temporalio/common';
import type { BackupConfig } from '../config/env.js';

/** The failure type of a store that refuses us (wrong credentials, no such bucket): retrying changes nothing. */
export const BACKUP_STORE_REFUSED = 'BackupStoreRefused';

/** The file (or object) of a backup: `bebsy_backup_YYYYMMDD_HHMMSS.dump`, its SHA-256 next to it. */
export const dumpFileName = (name: string) => `${name}.dump`;
export const checksumFileName = (name: string) => `${name}.dump.sha256`;
const BACKUP_FILE = /^(bebsy_backup_\d{8}_\d{6})\.dump$/;

export interface StoredBackup {
  name: string;
  sizeBytes: number;
}

/** Where backups live: an S3 bucket or a local folder; each call is safe to repeat. */
export interface BackupStore {
  kind: 's3' | 'local';
  /** Where a backup is, for people: s3://bucket/key or the file's path. */
  location(name: string): string;
  /** Checks the store answers and accepts our credentials (a clear error when not). */
  check(): Promise<void>;
  /**
   * Writes the dump; nothing under the backup's name exists until the whole stream arrived (an
   * aborted S3 upload aborts its multipart upload, a local one removes its partial file).
   */
  write(name: string, body: Readable, signal: AbortSignal): Promise<void>;
  writeChecksum(name: string, sha256: string): Promise<void>;
  read(name: string): Promise<Readable>;
  readChecksum(name: string): Promise<string | null>;
  list(): Promise<StoredBackup[]>;
  remove(names: string[]): Promise<void>;
  /** Leftovers of interrupted writes of this backup (multipart uploads, partial files) go. */
  clearLeftovers(name: string): Promise<number>;
}

/** The store the configuration names: S3 when S3_BUCKET is set, else the folder BACKUP_DIR. */
export function backupStore(config: Pick<BackupConfig, 's3' | 'dir'>, options: { partSize?: number } = {}): BackupStore {
  return config.s3 ? s3Store(config.s3, options.partSize) : localStore(config.dir);
}

/** An S3 error as one sentence; refusals a retry cannot fix are non-retryable. */
export function describeS3Error(error: unknown, bucket: string): Error {
  if (error instanceof ApplicationFailure) return error;
  const name = (error as { name?: string; Code?: string })?.name ?? '';
  const status = error instanceof S3ServiceException ? error.$metadata.httpStatusCode : undefined;
  const refused: Record<string, string> = {
    InvalidAccessKeyId: 'the access key (AWS_ACCESS_KEY_ID) is not known to the store',
    SignatureDoesNotMatch: 'the secret key (AWS_SECRET_ACCESS_KEY) does not match the access key',
    AccessDenied: `the credentials may not write to bucket ${bucket}`,
    NoSuchBucket: `bucket ${bucket} (S3_BUCKET) does not exist`,
    NoSuchKey: `the backup is not in bucket ${bucket}`,
    InvalidBucketName: `${bucket} (S3_BUCKET) is not a valid bucket name`,
    CredentialsProviderError: 'no S3 credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY',
  };
  const reason = refused[name] ?? (status === 403 ? refused.AccessDenied : status === 404 ? refused.NoSuchBucket : undefined);
  const message = error instanceof Error ? error.message : String(error);
  if (reason)
    return ApplicationFailure.nonRetryable(`S3 refused the backup: ${reason} (${name || status}: ${message})`, BACKUP_STORE_REFUSED);
  return error instanceof Error ? error : new Error(message);
}

function s3Store(s3: NonNullable<BackupConfig['s3']>, partSize = 8 * 1024 * 1024): BackupStore {
  const client = new S3Client({
    region: s3.region,
    ...(s3.endpoint && { endpoint: s3.endpoint, forcePathStyle: true }),
    ...(s3.accessKeyId && s3.secretAccessKey && { credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey } }),
    // a refusal is answered at once; only network trouble is retried, by the activity
    maxAttempts: 2,
    // S3-compatible stores (moto, MinIO, …) differ in the SDK's CRC checksums of multipart
    // objects; the backup's own SHA-256 (recorded, and checked on every restore) is the check
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  const bucket = s3.bucket;
  const wrap = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (error) {
      throw describeS3Error(error, bucket);
    }
  };
  const store: BackupStore = {
    kind: 's3',
    location: (name) => `s3://${bucket}/${dumpFileName(name)}`,
    // a listing (not HEAD, which answers without a body) says why it is refused
    check: () => wrap(async () => void (await client.send(new ListObjectsV2Command({ Bucket: bucket, MaxKeys: 1 })))),
    async write(name, body, signal) {
      const upload = new Upload({
        client,
        params: { Bucket: bucket, Key: dumpFileName(name), Body: body, ContentType: 'application/octet-stream' },
        partSize,
        queueSize: 2,
        leavePartsOnError: false,
      });
      const abort = () => void upload.abort().catch(() => undefined);
      signal.addEventListener('abort', abort, { once: true });
      try {
        await wrap(() => upload.done());
      } catch (error) {
        // lib-storage aborts the multipart upload on errors; a cancellation is cleared here too
        await store.clearLeftovers(name).catch(() => undefined);
        throw error;
      } finally {
        signal.removeEventListener('abort', abort);
      }
    },
    writeChecksum: (name, sha256) =>
      wrap(async () => {
        await client.send(
          new PutObjectCommand({
            Bucket: bucket,
            Key: checksumFileName(name),
            Body: `${sha256}  ${dumpFileName(name)}\n`,
            ContentType: 'text/plain',
          }),
        );
      }),
    read: (name) =>
      wrap(async () => {
        const object = await client.send(new GetObjectCommand({ Bucket: bucket, Key: dumpFileName(name) }));
        return object.Body as Readable;
      }),
    async readChecksum(name) {
      try {
        const object = await client.send(new GetObjectCommand({ Bucket: bucket, Key: checksumFileName(name) }));
        return (await object.Body!.transformToString()).split(/\s/)[0] || null;
      } catch (error) {
        if ((error as { name?: string }).name === 'NoSuchKey') return null;
        throw describeS3Error(error, bucket);
      }
    },
    list: () =>
      wrap(async () => {
        const found: StoredBackup[] = [];
        let token: string | undefined;
        do {
          const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'bebsy_backup_', ContinuationToken: token }));
          for (const object of page.Contents ?? []) {
            const match = BACKUP_FILE.exec(object.Key ?? '');
            if (match) found.push({ name: match[1], sizeBytes: object.Size ?? 0 });
          }
          token = page.IsTruncated ? page.NextContinuationToken : undefined;
        } while (token);
        return found;
      }),
    remove: (names) =>
      wrap(async () => {
        if (names.length === 0) return;
        const keys = names.flatMap((n) => [dumpFileName(n), checksumFileName(n)]);
        for (let i = 0; i < keys.length; i += 1000) {
          await client.send(
            new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys.slice(i, i + 1000).map((Key) => ({ Key })), Quiet: true } }),
          );
        }
      }),
    clearLeftovers: (name) =>
      wrap(async () => {
        const { Uploads = [] } = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: dumpFileName(name) }));
        for (const u of Uploads) {
          await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: u.Key!, UploadId: u.UploadId! }));
        }
        return Uploads.length;
      }),
  };
  return store;
}

function localStore(dir: string): BackupStore {
  const file = (name: string) => path.join(dir, dumpFileName(name));
  const partial = (name: string) => `${file(name)}.partial`;
  return {
    kind: 'local',
    location: (name) => path.resolve(file(name)),
    async check() {
      await fs.mkdir(dir, { recursive: true });
      await fs.access(dir, fs.constants.W_OK);
    },
    async write(name, body, signal) {
      await fs.mkdir(dir, { recursive: true });
      try {
        await pipeline(body, createWriteStream(partial(name)), { signal });
        const handle = await fs.open(partial(name), 'r');
        await handle.sync().finally(() => handle.close());
        await fs.rename(partial(name), file(name));
      } catch (error) {
        await fs.rm(partial(name), { force: true });
        throw error;
      }
    },
    async writeChecksum(name, sha256) {
      await fs.writeFile(path.join(dir, checksumFileName(name)), `${sha256}  ${dumpFileName(name)}\n`);
    },
    async read(name) {
      await fs.access(file(name));
      return createReadStream(file(name));
    },
    async readChecksum(name) {
      const text = await fs.readFile(path.join(dir, checksumFileName(name)), 'utf8').catch(() => null);
      return text?.split(/\s/)[0] || null;
    },
    async list() {
      const entries = await fs.readdir(dir).catch(() => [] as string[]);
      const found: StoredBackup[] = [];
      for (const entry of entries) {
        const match = BACKUP_FILE.exec(entry);
        if (match) found.push({ name: match[1], sizeBytes: (await fs.stat(path.join(dir, entry))).size });
      }
      return found;
    },
    async remove(names) {
      for (const name of names) {
        await fs.rm(file(name), { force: true });
        await fs.rm(path.join(dir, checksumFileName(name)), { force: true });
      }
    },
    async clearLeftovers(name) {
      const existed = await fs.stat(partial(name)).then(
        () => 1,
        () => 0,
      );
      await fs.rm(partial(name), { force: true });
      return existed;
    },
  };
}

/** The creation moment a backup's name carries (bebsy_backup_YYYYMMDD_HHMMSS, UTC). */
export function backupNameTime(name: string): Date | null {
  const m = /^bebsy_backup_(\d{4})(\d{2})(\d{2})_(\d{2})(\d{2})(\d{2})$/.exec(name);
  return m ? new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6])) : null;
}

/** Readable.from for tests and scripts that hand a buffer to a store. */
export const readableOf = (data: Buffer) => Readable.from([data]);
