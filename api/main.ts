/** Production entry of the API process (the worker runs separately: worker/main.ts). */
import { loadConfigOrExit, onShutdownSignal } from '../config/load-or-exit.js';
import { openDatabase } from '../db/connect.js';
import { defaultPasswordRefusal } from './plugins/auth.js';
import { startApiServer } from './server.js';

const config = loadConfigOrExit();
if (!config.database.url || !config.temporal.address) {
  console.error(
    'The API process needs DATABASE_URL (or DB_HOST) and TEMPORAL_ADDRESS; `npm start` runs the whole system on embedded defaults.',
  );
  process.exit(1);
}
const db = await openDatabase(config, config.database.url);
const refusal = config.isProduction ? await defaultPasswordRefusal(db) : null;
if (refusal) {
  console.error(refusal);
  await db.destroy();
  process.exit(1);
}
const server = await startApiServer(config, db, config.temporal.address);
onShutdownSignal(async () => {
  await server.close();
  await db.destroy();
});
