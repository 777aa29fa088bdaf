/**
 * `npm start`: the whole system on embedded defaults.
 * - Postgres: DATABASE_URL / DB_* when set; else an embedded Postgres with its data in DATA_DIR/postgres.
 * - Temporal: TEMPORAL_ADDRESS when set; else `temporal server start-dev` persisting to
 *   DATA_DIR/temporal/temporal.db, the project's search attributes registered, Web UI on TEMPORAL_UI_PORT.
 * - Migrations, the worker and the API (PORT) in this process. Ctrl-C stops everything; data stays.
 */
import path from 'node:path';
import { defaultPasswordRefusal } from '../api/plugins/auth.js';
import { startApiServer } from '../api/server.js';
import { loadConfigOrExit, onShutdownSignal } from '../config/load-or-exit.js';
import { openDatabase } from '../db/connect.js';
import { adminHasPassword } from '../db/repositories/admin-users.js';
import { referralSearchAttributes } from '../domain/search-attributes.js';
import { scheduleLines, startWorker } from '../worker/run.js';
import { buildUi } from './build-ui.js';
import { ensureDatabase } from './databases.js';
import { startDevTemporal } from './infra/dev-temporal.js';
import { SCALE_SETTINGS, startEmbeddedPostgres } from './infra/embedded-postgres.js';
import { StartupError } from './infra/startup-error.js';

const config = loadConfigOrExit();
const say = (message: string) => console.log(`[bebsy] ${message}`);
const stops: Array<() => Promise<void>> = [];
onShutdownSignal(async () => {
  for (const stop of stops.reverse()) await stop();
});

/** Starts every part, in order; what started is stopped again on Ctrl-C (or when a later part fails). */
async function start(): Promise<void> {
  let databaseUrl = config.database.url;
  if (!databaseUrl) {
    say(`starting embedded Postgres (data in ${path.join(config.dataDir, 'postgres')})`);
    const pg = await startEmbeddedPostgres({
      dataDir: path.join(config.dataDir, 'postgres'),
      port: config.database.embeddedPort || undefined,
      settings: SCALE_SETTINGS,
    });
    stops.push(pg.stop);
    databaseUrl = await ensureDatabase(pg.url, 'bebsy_referrals');
  }
  const db = await openDatabase(config, databaseUrl);
  stops.push(() => db.destroy());
  const refusal = config.isProduction ? await defaultPasswordRefusal(db) : null;
  if (refusal) throw new StartupError(refusal);

  let temporalAddress = config.temporal.address;
  let temporalWeb = config.temporal.webUrl;
  if (!temporalAddress) {
    say(`starting Temporal dev server (data in ${path.join(config.dataDir, 'temporal')})`);
    const temporal = await startDevTemporal({
      dbFile: path.join(config.dataDir, 'temporal', 'temporal.db'),
      port: config.temporal.devPort,
      uiPort: config.temporal.devUiPort,
      namespace: config.temporal.namespace,
      searchAttributes: referralSearchAttributes,
    });
    stops.push(temporal.stop);
    temporalAddress = temporal.address;
    temporalWeb = temporal.uiUrl ?? temporalWeb;
  }

  if ((await buildUi({ onlyWhenStale: true })) === 'built') say('admin UI built into ui/dist');
  const worker = await startWorker(config, db, temporalAddress);
  stops.push(worker.stop);
  for (const line of scheduleLines(config, worker)) say(line);
  const api = await startApiServer(config, db, temporalAddress);
  stops.push(api.close);

  const apiUrl = `http://localhost:${config.http.port}`;
  const { adminUsername, adminPassword } = config.auth;
  const signInHint =
    !config.isProduction && (await adminHasPassword(db, adminUsername, adminPassword))
      ? `Sign in as ${adminUsername} / ${adminPassword}`
      : `Sign in as ${adminUsername} with the password you set`;
  console.log(`
  Bebsy referrals is running (${config.env}).
    Admin UI       ${apiUrl}/
    API            ${apiUrl}/api        (health: ${apiUrl}/api/health)
    API docs       ${config.http.apiDocs ? `${apiUrl}/api/docs` : 'off (API_DOCS=true serves them)'}
    Temporal Web   ${temporalWeb}/namespaces/${config.temporal.namespace}/workflows
    Temporal gRPC  ${temporalAddress}
    Postgres       ${config.database.url ? 'DATABASE_URL' : `embedded, data in ${path.join(config.dataDir, 'postgres')}`}
  ${signInHint}. Ctrl-C stops everything; data is kept.
`);
}

try {
  await start();
} catch (error) {
  // a reason the person starting can fix is one sentence; anything else keeps its stack
  console.error(error instanceof StartupError ? `[bebsy] ${error.message}` : error);
  for (const stop of stops.reverse()) await stop().catch(() => undefined);
  process.exit(1);
}
