import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { workflowsPath } from '../worker/create-worker.js';

/**
 * Bundles the workflow code as the worker's sandbox loads it. A forbidden import in
 * workflows/ (anything with side effects) fails here, in the build, not in production.
 */
export async function bundleWorkflows(outFile = path.resolve('dist/workflow-bundle.js')): Promise<string> {
  const { code } = await bundleWorkflowCode({ workflowsPath, logger: quietLogger });
  await mkdir(path.dirname(outFile), { recursive: true });
  await writeFile(outFile, code);
  return outFile;
}

const ignore = () => undefined;
const quietLogger = { trace: ignore, debug: ignore, info: ignore, warn: console.warn, error: console.error, log: ignore };

if (import.meta.url === `file://${process.argv[1]}`) {
  const out = await bundleWorkflows(process.argv[2] ? path.resolve(process.argv[2]) : undefined);
  console.log(`workflow bundle written to ${out}`);
}
