/**
 * Issue 5, exports: `GET /api/export/referrals?format=csv` of every referral (2M on the
 * default seed; the target is stated for ≥ 1M rows), read to the end through the API process,
 * against the baseline: the very same `COPY (SELECT ...) TO STDOUT` statement the export runs,
 * with the same session settings (`copyOut`), read straight from Postgres in this process as
 * Postgres sends it (pg-copy-streams, LF record ends: the API's CRLF is work the baseline skips). The baseline runs before and
 * after the API (the better one counts), so a cold cache does not favour either side. The API's
 * RSS is sampled every 50 ms during its download; its idle RSS before is printed beside the peak,
 * each split into its anonymous part (V8's and malloc's heaps) and its file pages (the node
 * binary), with the API's own V8 heap and external (Buffer) memory from its /metrics before and
 * after: an RSS over target says whether it is garbage V8 has not collected yet or the binary.
 * Targets: ≥ 200,000 rows/s and ≥ 0.95 of the baseline's rate, a peak RSS ≤ 150 MB (issue 14; it was 200).
 */
import http, { type IncomingMessage } from 'node:http';
import { performance } from 'node:perf_hooks';
import { to as copyTo } from 'pg-copy-streams';
import { copyOut, type ExportQuery } from '../../db/repositories/exports.js';
import { prometheusSample } from '../../scripts/infra/prometheus-sample.js';
import type { RssReading, ScaleBench, ScaleBenchContext } from './context.js';

const TARGET_ROWS_PER_SECOND = 200_000;
const TARGET_PEAK_RSS_MB = 150;
/** Of the baseline COPY's rate (issue 14). */
const TARGET_RATIO = 0.95;
const RSS_SAMPLE_MS = 50;
const QUERY: ExportQuery = { entity: 'referrals', filters: {} };

interface Run {
  rows: number;
  bytes: number;
  seconds: number;
}

const rowsPerSecond = (run: Run) => run.rows / run.seconds;
const fmt = (n: number, digits = 0) => n.toLocaleString('en', { maximumFractionDigits: digits, minimumFractionDigits: digits });

/** Counts the records (line ends less the header) and bytes of a CSV byte stream. */
async function readCsv(chunks: AsyncIterable<Uint8Array>): Promise<Omit<Run, 'seconds'>> {
  let lineEnds = 0;
  let bytes = 0;
  for await (const chunk of chunks) {
    const buffer = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    bytes += buffer.length;
    for (let at = buffer.indexOf(10); at !== -1; at = buffer.indexOf(10, at + 1)) lineEnds++;
  }
  return { rows: lineEnds - 1, bytes };
}

async function timed(read: () => Promise<Omit<Run, 'seconds'>>): Promise<Run> {
  const started = performance.now();
  const result = await read();
  return { ...result, seconds: (performance.now() - started) / 1000 };
}

const baseline = (context: ScaleBenchContext) =>
  timed(async () => readCsv(await copyOut(context.db, QUERY, { delimiter: ',', decimalComma: false }, copyTo)));

/** The API's V8 heap (used / committed) and external memory, MB, from its prom-client default metrics. */
async function apiHeap(context: ScaleBenchContext): Promise<string> {
  const text = await (await fetch(`${context.api.url}/metrics`)).text();
  const mb = (name: string) => (prometheusSample(text, name) ?? Number.NaN) / 2 ** 20;
  return `V8 heap ${fmt(mb('nodejs_heap_size_used_bytes'), 1)} used of ${fmt(mb('nodejs_heap_size_total_bytes'), 1)} MB, external ${fmt(mb('nodejs_external_memory_bytes'), 1)} MB`;
}

const describeRss = (reading: RssReading) =>
  `${fmt(reading.totalMb, 1)} MB (anon ${fmt(reading.anonMb, 1)}, file ${fmt(reading.fileMb, 1)})`;

interface ApiRun {
  run: Run;
  idle: RssReading;
  peak: RssReading;
  heapBefore: string;
  heapAfter: string;
}

async function throughApi(context: ScaleBenchContext): Promise<ApiRun> {
  const heapBefore = await apiHeap(context);
  const idle = context.api.rss();
  let peak = idle;
  const sample = () => {
    const reading = context.api.rss();
    if (reading.totalMb > peak.totalMb) peak = reading;
  };
  const sampler = setInterval(sample, RSS_SAMPLE_MS);
  try {
    const run = await timed(async () => {
      // node:http rather than fetch: the client's own overhead should not count against the API
      const response = await new Promise<IncomingMessage>((resolve, reject) =>
        http
          .get(`${context.api.url}/api/export/referrals?format=csv`, { headers: { authorization: `Bearer ${context.token}` } }, resolve)
          .on('error', reject),
      );
      if (response.statusCode !== 200) throw new Error(`export answered ${response.statusCode}: ${(await readCsv(response)).bytes} bytes`);
      return readCsv(response);
    });
    sample();
    return { run, idle, peak, heapBefore, heapAfter: await apiHeap(context) };
  } finally {
    clearInterval(sampler);
  }
}

export const benchExport: ScaleBench = async (context) => {
  context.log('export: baseline COPY (1/2)');
  const before = await baseline(context);
  context.log('export: GET /api/export/referrals?format=csv');
  const api = await throughApi(context);
  context.log('export: baseline COPY (2/2)');
  const after = await baseline(context);
  const best = rowsPerSecond(before) >= rowsPerSecond(after) ? before : after;

  const apiRate = rowsPerSecond(api.run);
  const ratio = apiRate / rowsPerSecond(best);
  const describe = (label: string, run: Run) =>
    `${label}: ${fmt(run.rows)} rows, ${fmt(run.bytes / 1e6, 1)} MB in ${fmt(run.seconds, 2)} s = ${fmt(rowsPerSecond(run))} rows/s`;
  const complete = api.run.rows === best.rows;
  return {
    name: 'referral export (CSV)',
    lines: [
      describe('baseline COPY (same SELECT) TO STDOUT, best of 2', best),
      describe('API GET /api/export/referrals?format=csv', api.run),
      `ratio API/baseline: ${fmt(ratio, 2)}`,
      `API RSS: idle ${describeRss(api.idle)}, peak ${describeRss(api.peak)} (+${fmt(api.peak.totalMb - api.idle.totalMb, 1)} MB during the export)`,
      `API memory from its /metrics: before ${api.heapBefore}; after ${api.heapAfter}`,
      ...(complete ? [] : [`ROW COUNT MISMATCH: the API answered ${fmt(api.run.rows)} rows, the baseline ${fmt(best.rows)}`]),
    ],
    targets: [
      {
        description: `export ≥ ${fmt(TARGET_ROWS_PER_SECOND)} rows/s: ${fmt(apiRate)} rows/s`,
        met: complete && apiRate >= TARGET_ROWS_PER_SECOND,
      },
      {
        description: `export ≥ ${TARGET_RATIO} of COPY's rate: ${fmt(ratio, 2)}`,
        met: complete && ratio >= TARGET_RATIO,
      },
      {
        description: `API peak RSS ≤ ${TARGET_PEAK_RSS_MB} MB: ${fmt(api.peak.totalMb, 1)} MB`,
        met: api.peak.totalMb <= TARGET_PEAK_RSS_MB,
      },
    ],
  };
};
