import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { randomUUID } from 'node:crypto';
import type { ApiApp } from '../../api/app.js';
import type { ImportJson } from '../../api/routes/imports.js';
import { isFinished } from '../../domain/csv-import/status.js';
import { bearer } from './http.js';
import { eventually } from './system.js';

/** A multipart/form-data body with one file part, as a browser's upload sends it. */
export function multipartBody(content: Buffer | string, { field = 'file', fileName = 'klanten.csv' } = {}) {
  const boundary = `----bebsy${randomUUID().replace(/-/g, '')}`;
  const payload = Buffer.concat([
    Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="${field}"; filename="${fileName}"\r\nContent-Type: text/csv\r\n\r\n`,
    ),
    Buffer.isBuffer(content) ? content : Buffer.from(content),
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  return { payload, headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
}

export async function uploadImport(app: ApiApp, token: string, content: Buffer | string, options?: { field?: string; fileName?: string }) {
  const body = multipartBody(content, options);
  return app.inject({
    method: 'POST',
    url: '/api/customers/import',
    headers: { ...body.headers, ...bearer(token) },
    payload: body.payload,
  });
}

export async function getImportJson(app: ApiApp, token: string, id: string): Promise<ImportJson> {
  const res = await app.inject({ method: 'GET', url: `/api/imports/${id}`, headers: bearer(token) });
  if (res.statusCode !== 200) throw new Error(`GET import ${id}: ${res.statusCode} ${res.body}`);
  return res.json();
}

/** Waits until the import has ended (completed, failed or cancelled) and answers it. */
export async function importEnded(app: ApiApp, token: string, id: string, timeoutMs = 60_000): Promise<ImportJson> {
  return eventually(
    async () => {
      const job = await getImportJson(app, token, id);
      return isFinished(job.status) && job;
    },
    { timeoutMs, intervalMs: 100 },
  );
}

/** A generated semicolon CSV (Excel style: CRLF, Dutch headers) of `rows` customers `<prefix>-<n>`. */
export async function writeLargeCsv(filePath: string, rows: number, prefix: string): Promise<void> {
  const out = createWriteStream(filePath);
  out.write('Klantnummer;Naam;E-mailadres;Taal\r\n');
  let chunk = '';
  for (let i = 1; i <= rows; i++) {
    chunk += `${prefix}-${i};Klant ${i} de Vries;${prefix.toLowerCase()}.${i}@voorbeeld.nl;nl\r\n`;
    if (i % 10_000 === 0) {
      if (!out.write(chunk)) await once(out, 'drain');
      chunk = '';
    }
  }
  out.end(chunk);
  await once(out, 'finish');
}
