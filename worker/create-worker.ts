import { fileURLToPath } from 'node:url';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createWorkerActivities, type ActivityDependencies } from '../activities/index.js';
import { permanentDataFailures } from './permanent-failures.js';
import { workflowOwnership } from './workflow-ownership.js';

export const workflowsPath = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));

export interface ReferralWorkerOptions extends ActivityDependencies {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  /** A prebuilt bundle (`npm run build`, tests); without it the workflows are bundled at start. */
  workflowBundlePath?: string;
  overrides?: Partial<WorkerOptions>;
}

/** The referral worker: workflows plus the activities built around the given clients. */
export async function createReferralWorker(options: ReferralWorkerOptions): Promise<Worker> {
  const bundlePath = options.workflowBundlePath ?? process.env.WORKFLOW_BUNDLE_PATH;
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    ...(bundlePath ? { workflowBundle: { codePath: bundlePath } } : { workflowsPath }),
    activities: createWorkerActivities(options),
    shutdownGraceTime: '10 seconds',
    interceptors: { activity: [workflowOwnership(options.db), permanentDataFailures] },
    ...options.overrides,
  });
}
