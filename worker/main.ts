/** Production entry of the worker process (the API runs separately: api/main.ts). */
import { loadConfigOrExit, onShutdownSignal } from '../config/load-or-exit.js';
import { createDb } from '../db/knex.js';
import { scheduleLines, startWorker } from './run.js';

const config = loadConfigOrExit();
if (!config.database.url || !config.temporal.address) {
  console.error('The worker needs DATABASE_URL (or DB_HOST) and TEMPORAL_ADDRESS; `npm start` runs the whole system on embedded defaults.');
  process.exit(1);
}
const db = createDb(config.database.url, config.database);
const worker = await startWorker(config, db, config.temporal.address);
console.log(`worker polling task queue ${config.temporal.taskQueue} on ${config.temporal.address}`);
for (const line of scheduleLines(config, worker)) console.log(line);
onShutdownSignal(async () => {
  await worker.stop();
  await db.destroy();
});
