/**
 * `npm run restore -- <name> --database <db> [--force]`: brings the backup `<name>`
 * (bebsy_backup_YYYYMMDD_HHMMSS, as listed in Beheer or GET /api/backups) back into the
 * database `<db>` of the live server: created when missing. The live database itself, or one
 * that holds tables, only with --force (the restore then replaces what it holds, in one
 * transaction). Runs in the worker, which reaches the store and the server; the checksum is checked.
 */
import { parseArgs } from 'node:util';
import { loadConfigOrExit } from '../config/load-or-exit.js';
import { connectToSystem, failureReason } from './running-system.js';

const usage = 'usage: npm run restore -- <bebsy_backup_YYYYMMDD_HHMMSS> --database <name> [--force]';
let parsed;
try {
  parsed = parseArgs({
    allowPositionals: true,
    options: { database: { type: 'string', short: 'd' }, force: { type: 'boolean', default: false } },
  });
} catch (error) {
  console.error(`${(error as Error).message}\n${usage}`);
  process.exit(2);
}
const [name] = parsed.positionals;
const database = parsed.values.database;
if (!name || !/^bebsy_backup_\d{8}_\d{6}$/.test(name) || !database || parsed.positionals.length > 1) {
  console.error(usage);
  process.exit(2);
}

const config = loadConfigOrExit();
const { client, close } = await connectToSystem(config);
console.log(`restoring ${name} into database ${database}${parsed.values.force ? ' (--force)' : ''}; waiting…`);
try {
  const result = (await client.workflow.execute('databaseRestore', {
    taskQueue: config.temporal.taskQueue,
    workflowId: `database-restore-${name}-${database}-${Date.now()}`,
    args: [{ name, database, force: parsed.values.force }],
  })) as { bytes: number; sha256: string };
  console.log(`restored ${name} (${(result.bytes / 1024 / 1024).toFixed(1)} MB, sha256 ${result.sha256} checked) into ${database}`);
} catch (error) {
  console.error(`restore failed: ${failureReason(error)}`);
  process.exitCode = 1;
} finally {
  await close();
}
