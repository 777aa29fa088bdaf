/**
 * `npm run bench`: every benchmark suite, one after the other (they would share the 2 cores):
 *
 *   npm run bench                                   submission + admin UI LCP, then scale, then workers
 *   npm run bench -- --suite submission [flags]     bench/run.ts; `--suite submission --help` for its flags
 *   npm run bench -- --suite scale [flags]          bench/scale/run.ts; `--suite scale --help` for its flags
 *   npm run bench -- --suite workers [flags]        bench/workers.ts: 1 vs 2 worker processes (docs/scaling.md)
 *
 * Flags after --suite go to that suite. Exit code: the first failing suite's.
 */
import { spawn } from 'node:child_process';
import { constants } from 'node:os';

const SUITES = { submission: 'bench/run.ts', scale: 'bench/scale/run.ts', workers: 'bench/workers.ts' } as const;
type Suite = keyof typeof SUITES;

const args = process.argv.slice(2);
const at = args.indexOf('--suite');
const chosen = at === -1 ? 'all' : args[at + 1];
const rest = at === -1 ? args : [...args.slice(0, at), ...args.slice(at + 2)];
if (chosen !== 'all' && !(chosen in SUITES)) {
  console.error(`--suite must be one of: ${Object.keys(SUITES).join(', ')}, all (default)`);
  process.exit(2);
}
if (chosen === 'all' && rest.length) {
  console.error('flags need a suite: npm run bench -- --suite submission|scale|workers [flags]');
  process.exit(2);
}
const suites = chosen === 'all' ? (Object.keys(SUITES) as Suite[]) : [chosen as Suite];

/**
 * Runs one suite as a child process and answers its exit code. SIGINT / SIGTERM sent to this
 * process (by tsx, which relays them, or a CI timeout) are passed on to the suite, which stops the
 * servers it started before it exits; dying here alone would leave the suite and its servers
 * running.
 */
function runSuite(file: string): Promise<number> {
  const child = spawn(process.execPath, ['--import', 'tsx', file, ...rest], { stdio: 'inherit', env: process.env });
  const forward = (signal: NodeJS.Signals) => child.kill(signal);
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  return new Promise((resolve) =>
    child.on('exit', (code, signal) => {
      process.off('SIGINT', forward);
      process.off('SIGTERM', forward);
      resolve(code ?? (signal ? 128 + constants.signals[signal] : 1));
    }),
  );
}

for (const suite of suites) {
  const status = await runSuite(SUITES[suite]);
  if (status !== 0) process.exit(status);
}
