/**
 * `npm run backup`: runs the databaseBackup workflow now (dump, upload, restore drill, retention)
 * on the system `npm start` runs (in compose: `docker compose exec worker npm run backup`) and
 * waits for it. Exit code 0 only for a backup whose restore drill passed.
 */
import { loadConfigOrExit } from '../config/load-or-exit.js';
import { connectToSystem, failureReason } from './running-system.js';
import type { DatabaseBackupResult } from '../workflows/database-backup.js';

const config = loadConfigOrExit();
const { client, close } = await connectToSystem(config);
const workflowId = `nightly-backup-manual-${new Date().toISOString()}`;
console.log(`backup started (workflow ${workflowId} on task queue ${config.temporal.taskQueue}); waiting…`);
try {
  const result = (await client.workflow.execute('databaseBackup', {
    taskQueue: config.temporal.taskQueue,
    workflowId,
    args: [{}],
  })) as DatabaseBackupResult;
  const mb = (result.backup.sizeBytes / 1024 / 1024).toFixed(1);
  const rows = Object.values(result.backup.tableCounts).reduce((a, b) => a + b, 0);
  console.log(`backup ${result.name}: ${mb} MB at ${result.backup.location}`);
  console.log(`  sha256 ${result.backup.sha256}`);
  console.log(
    `  restore drill passed in ${result.drill.seconds.toFixed(1)} s: ${Object.keys(result.backup.tableCounts).length} tables, ${rows} rows`,
  );
  if (result.pruned.length) console.log(`  retention removed ${result.pruned.join(', ')}`);
} catch (error) {
  console.error(`backup failed: ${failureReason(error)}`);
  process.exitCode = 1;
} finally {
  await close();
}
