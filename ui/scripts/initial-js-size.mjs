#!/usr/bin/env node
/**
 * The JavaScript a browser loads before the first screen: the entry script and its
 * modulepreloads in ui/dist/index.html, gzipped. Fails (exit 1) above the budget.
 * Usage: node ui/scripts/initial-js-size.mjs [--budget-kb 200] [--json]
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const dist = fileURLToPath(new URL('../dist/', import.meta.url));
const args = process.argv.slice(2);
const budgetKb = Number(args[args.indexOf('--budget-kb') + 1]) || 200;
const html = readFileSync(`${dist}index.html`, 'utf8');
const files = [...html.matchAll(/<(?:script[^>]+src|link[^>]+rel="modulepreload"[^>]+href)="\/([^"]+\.js)"/g)].map((m) => m[1]);
const sizes = files.map((file) => {
  const raw = readFileSync(dist + file);
  return { file, bytes: raw.length, gzip: gzipSync(raw, { level: 9 }).length };
});
const total = sizes.reduce((n, s) => n + s.gzip, 0);
const kb = (n) => Math.round((n / 1024) * 10) / 10;
if (args.includes('--json')) {
  console.log(JSON.stringify({ files: sizes, gzip_bytes: total, gzip_kb: kb(total), budget_kb: budgetKb }));
} else {
  for (const s of sizes)
    console.log(`${s.file.padEnd(44)} ${String(kb(s.bytes)).padStart(8)} kB  gzip ${String(kb(s.gzip)).padStart(7)} kB`);
  console.log(`initial JS (gzip): ${kb(total)} kB of ${budgetKb} kB budget`);
}
if (total > budgetKb * 1024) {
  console.error(`initial JS is over budget: ${kb(total)} kB > ${budgetKb} kB`);
  process.exit(1);
}
