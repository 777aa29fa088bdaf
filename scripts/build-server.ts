/**
 * Compiles the API and the worker entry points into plain ES modules under dist/server/
 * (dependencies stay in node_modules), so production runs `node dist/server/api.mjs` without
 * tsx: no TypeScript loader in the process, some 45 MB less resident memory, a faster start.
 * The folder is two levels deep on purpose: ui/dist is found relative to the module
 * (api/plugins/admin-ui.ts), and ../../ui/dist holds from both places. The worker needs
 * WORKFLOW_BUNDLE_PATH (dist/workflow-bundle.js from `npm run build`) when it runs from here.
 */
import path from 'node:path';
import { build } from 'esbuild';

export const SERVER_OUT_DIR = path.resolve('dist/server');

/**
 * Node flags the API process runs with (deploy/Dockerfile's CMD and the Kubernetes API
 * Deployment say the same; `npm run validate:deploy` checks it), so the benchmarks measure what
 * production runs:
 * - `--max-old-space-size=256`: V8 sizes the old generation's next full collection from its heap
 *   limit. At the default limit of a large machine (~4 GB here) it lets the old space grow to up
 *   to 4× the live heap first: after list traffic the API held up to 150 MB of old space for
 *   ~50 MB live, and its idle RSS depended on when the last full collection ran (147–225 MB
 *   before an export in 200k-row runs). At 256 MB the growth is ~1.4×: the old space stayed at
 *   66–67 MB committed through the same traffic. The ceiling is 4–5× the live heap and inside
 *   the Deployment's 1 Gi limit, and it makes the bench collect as a container would (Node
 *   derives its limit from the cgroup's there).
 * - `--max-semi-space-size=4`: a young generation of 4 MB semi-spaces instead of 16 MB. The API
 *   allocates briefly per request and per export chunk; the young generation's size is RSS it
 *   keeps (2 × the semi-space), and an export's socket buffers are freed at its collections, so
 *   smaller means sooner. Alone, 4 MB was worse than 8 MB (more objects survive into an old space
 *   that then grew unchecked); with the old space capped, the 2M scale suite's export peaked at
 *   143.6 MB (idle 143.6) against 158.4 MB (idle 149.8) with 8 MB and no cap, lists at 200 req/s
 *   p99 159 ms. `--optimize-for-size` held 126 MB but cost CPU: lists at 200 req/s went from
 *   p99 164 ms to 220 ms, past their 200 ms target.
 * - `--enable-source-maps`: stack traces in the logs point at the TypeScript sources (some 3 MB
 *   of heap for the maps).
 */
export const API_NODE_FLAGS = ['--max-semi-space-size=4', '--max-old-space-size=256', '--enable-source-maps'];

/**
 * Environment of the server processes (deploy/Dockerfile's ENV): glibc serves allocations of
 * 64 KiB and more (a socket read's buffer, an export chunk) from mmap and returns them to the
 * system when freed, instead of keeping them in its heap. A 10M-row export (measured
 * 2026-12-05, four alternated runs): API RSS idle 133–136 MB and peak 169–175 MB with it,
 * 141–144 / 180–181 MB without, at the same speed (30.2–30.7 s vs 30.2–31.2 s).
 */
export const SERVER_ENV = { MALLOC_MMAP_THRESHOLD_: '65536' };

export async function buildServer(outDir = SERVER_OUT_DIR): Promise<{ api: string; worker: string }> {
  await build({
    entryPoints: { api: 'api/main.ts', worker: 'worker/main.ts' },
    outdir: outDir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    // modules loaded on demand (the API's email rendering) go into chunks of their own
    splitting: true,
    chunkNames: '[name]-[hash]', // beside the entries: paths relative to a module stay right
    target: 'node20',
    packages: 'external',
    sourcemap: true,
    logLevel: 'warning',
  });
  return { api: path.join(outDir, 'api.mjs'), worker: path.join(outDir, 'worker.mjs') };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { api, worker } = await buildServer();
  console.log(`server built: ${path.relative(process.cwd(), api)}, ${path.relative(process.cwd(), worker)}`);
}
