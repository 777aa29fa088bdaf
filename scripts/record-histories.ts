/**
 * Records workflow histories for the replay test (test/replay.test.ts): runs each scenario
 * against a throw-away dev server and Postgres (and the day-long timers on the time-skipping
 * test server), and saves the histories in test/histories/. Run it when a new workflow branch
 * is added (`npx tsx scripts/record-histories.ts`); never re-record to make a failing replay
 * pass: a failing replay means the change needs `patched()`.
 * Before recording after a workflow change, keep the previous set under a version prefix
 * (test/histories/v1-*.json: before the email notifications; v2-*.json: before
 * 'hold-until-departure-day-ends') so all of them keep replaying.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { Client, Connection, WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { loadConfig } from '../config/env.js';
import { openDatabase } from '../db/connect.js';
import { referralSearchAttributes } from '../domain/search-attributes.js';
import { ReferralService } from '../api/services/referrals.js';
import { ImportService } from '../api/services/imports.js';
import { receiveBookingWebhook } from '../api/services/booking-webhooks.js';
import type { TemporalDeps } from '../api/services/temporal.js';
import { createCustomer } from '../db/repositories/customers.js';
import { registerSearchAttributes } from '../temporal-config/search-attributes.js';
import { createReferralWorker } from '../worker/create-worker.js';
import { startWorker } from '../worker/run.js';
import { bundleWorkflows } from './bundle-workflows.js';
import { dropDatabase, ensureDatabase } from './databases.js';
import { startDevTemporal } from './infra/dev-temporal.js';
import { startEmbeddedPostgres } from './infra/embedded-postgres.js';
import { resolveTemporalBinary } from './infra/temporal-binaries.js';

const DAY_MS = 24 * 60 * 60 * 1000;
const embedded = process.env.DATABASE_URL ? null : await startEmbeddedPostgres({ dataDir: '.data/record-postgres' });
const serverUrl = process.env.DATABASE_URL ?? embedded!.url;
const database = `bebsy_record_${Date.now()}`;
const storageDir = await mkdtemp(path.join(os.tmpdir(), 'bebsy-record-imports-'));
// One bundle for both workers (the dev server's and the time-skipping server's).
process.env.WORKFLOW_BUNDLE_PATH = await bundleWorkflows(path.resolve(`.data/record-workflow-bundle-${process.pid}.js`));
const temporal = await startDevTemporal({ searchAttributes: referralSearchAttributes, uiPort: false });
const config = loadConfig({
  NODE_ENV: 'test',
  LOG_LEVEL: 'warn',
  REWARD_HOLD_DAYS: '0',
  CLAWBACK_WINDOW_DAYS: '0',
  ADMIN_NOTIFICATION_EMAILS: 'recorder-admin@example.nl',
  IMPORT_STORAGE_DIR: storageDir,
  TEMPORAL_ADDRESS: temporal.address,
  TEMPORAL_TASK_QUEUE: 'record',
});
const db = await openDatabase(config, await ensureDatabase(serverUrl, database));
const worker = await startWorker(config, db, temporal.address);
const client = new Client({ connection: await Connection.connect({ address: temporal.address }) });
const deps: TemporalDeps = { client, namespace: 'default', taskQueue: 'record', webUrl: '' };
const referrals = new ReferralService(db, deps, config.referrals);
const imports = new ImportService(db, deps, config.imports);

// The day-long timers (expiry) on the time-skipping test server, with a worker of their own.
const testServer = await resolveTemporalBinary('temporal-test-server');
const timeSkipping = await TestWorkflowEnvironment.createTimeSkipping(
  testServer.kind === 'path' ? { server: { executable: { type: 'existing-path', path: testServer.path } } } : {},
);
await registerSearchAttributes(timeSkipping.connection, 'default');
const timerDeps: TemporalDeps = { client: timeSkipping.client, namespace: 'default', taskQueue: 'record-timers', webUrl: '' };
const timerWorker = await createReferralWorker({
  connection: timeSkipping.nativeConnection,
  namespace: 'default',
  taskQueue: 'record-timers',
  db,
  policy: config.referrals,
  email: config.email,
});
const timerWorkerRunning = timerWorker.run();
const timerReferrals = new ReferralService(db, timerDeps, { ...config.referrals, expiryDays: 90 });

let n = 0;
async function newReferral({
  friendEmail,
  on = { deps, service: referrals },
}: { friendEmail?: string; on?: { deps: TemporalDeps; service: ReferralService } } = {}) {
  n++;
  const created = await createCustomer(db, {
    bebsy_customer_id: `REC-${n}`,
    name: `Recorder ${n}`,
    email: `recorder${n}@example.nl`,
    locale: 'nl',
  });
  if (created.kind !== 'created') throw new Error('customer not created');
  const { referral } = await on.service.submit({
    referrerCode: created.customer.referral_code,
    newCustomerEmail: friendEmail ?? `friend${n}@example.nl`,
    bookingReference: `REC-BK-${n}`,
  });
  return { referral, handle: on.deps.client.workflow.getHandle(referral.workflow_id), referrerEmail: created.customer.email };
}
type Referral = Awaited<ReturnType<typeof newReferral>>['referral'];
/** A booking event for the referral; the friend is its customer unless `customer` says otherwise (null: none named). */
const signal = (
  type: 'booking.confirmed' | 'booking.cancelled',
  referral: Referral,
  { departureDate = '2020-01-01', customer }: { departureDate?: string; customer?: string | null } = {},
) =>
  receiveBookingWebhook(db, deps, `rec_${type}_${referral.booking_reference}`, {
    type,
    data: {
      booking_reference: referral.booking_reference!,
      ...(customer !== null && { customer_email: customer ?? referral.new_customer_email }),
      booking_value: 750,
      currency: 'EUR',
      departure_date: departureDate,
    },
  });
const until = async (handle: WorkflowHandle, status: string) => {
  for (let i = 0; i < 200; i++) {
    if ((await handle.query<{ status: string }>('referralState')).status === status) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`never reached ${status}`);
};
const review = (id: string, decision: 'approved' | 'rejected') =>
  referrals.review(id, decision, 'admin:recorder', decision === 'rejected' ? 'recorded rejection' : undefined);
/** A referral whose booking is confirmed, waiting for an admin. */
async function pendingApproval(options: Parameters<typeof newReferral>[0] = {}) {
  const created = await newReferral(options);
  await until(created.handle, 'awaiting_booking');
  await signal('booking.confirmed', created.referral);
  await until(created.handle, 'pending_approval');
  return created;
}
const inDays = (days: number) => new Date(Date.now() + days * DAY_MS).toISOString().slice(0, 10);
const runDigest = async (name: string) => {
  const handle = await client.workflow.start('approvalDigest', { taskQueue: 'record', workflowId: `record-${name}`, args: [{}] });
  await handle.result();
  return handle;
};
/** An import of `csv` through the API's service; its workflow's handle once it has ended (completed or failed). */
async function runImport(csv: string) {
  const row = await imports.queue({ file: Readable.from([Buffer.from(csv)]), filename: 'klanten.csv' }, 'recorder');
  const handle = client.workflow.getHandle(row.workflow_id);
  await handle.result().catch((error: unknown) => {
    if (!(error instanceof WorkflowFailedError)) throw error;
  });
  return handle;
}

const scenarios: Record<string, () => Promise<WorkflowHandle>> = {
  // Before any referral waits for approval: the digest finds nothing to send.
  'approval-digest-skipped': () => runDigest('approval-digest-skipped'),
  'paid-after-approval-and-clawback-window': async () => {
    // Recorded with 'hold-until-departure-day-ends': its marker is in this history.
    const { referral, handle } = await pendingApproval();
    await review(referral.id, 'approved');
    await handle.result();
    return handle;
  },
  'rejected-by-rules-self-referral': async () => {
    const { handle } = await newReferral({ friendEmail: `recorder${n + 1}@example.nl` });
    await handle.result();
    return handle;
  },
  'rejected-by-admin': async () => {
    const { referral, handle } = await pendingApproval();
    await review(referral.id, 'rejected');
    await handle.result();
    return handle;
  },
  'revoked-when-cancelled-before-approval': async () => {
    const { referral, handle } = await pendingApproval();
    await signal('booking.cancelled', referral);
    await handle.result();
    return handle;
  },
  'revoked-when-cancelled-before-confirmed': async () => {
    const { referral, handle } = await newReferral();
    await until(handle, 'awaiting_booking');
    await signal('booking.cancelled', referral); // out of order: kept (early-cancellation-kept)
    await signal('booking.confirmed', referral);
    await handle.result();
    return handle;
  },
  'revoked-when-cancelled-during-hold': async () => {
    const { referral, handle } = await newReferral();
    await until(handle, 'awaiting_booking');
    await signal('booking.confirmed', referral, { departureDate: inDays(30) }); // the hold lasts until the trip
    await until(handle, 'pending_approval');
    await review(referral.id, 'approved');
    await until(handle, 'approved');
    await signal('booking.cancelled', referral, { departureDate: inDays(30) });
    await handle.result();
    return handle;
  },
  'flagged-approved-by-admin-and-paid': async () => {
    const { referral, handle } = await pendingApproval({ friendEmail: `recorder-friend${n + 1}@mailinator.com` }); // a disposable domain
    await review(referral.id, 'approved');
    await handle.result();
    return handle;
  },
  'flagged-booking-by-reference-only-rejected-by-admin': async () => {
    const { referral, handle } = await newReferral();
    await until(handle, 'awaiting_booking');
    await signal('booking.confirmed', referral, { customer: null }); // a booking naming no customer
    await until(handle, 'pending_approval');
    await review(referral.id, 'rejected');
    await handle.result();
    return handle;
  },
  'expired-without-booking': async () => {
    const { handle } = await newReferral({ on: { deps: timerDeps, service: timerReferrals } });
    await handle.result(); // the time-skipping server runs the 90 days
    return handle;
  },
  'approval-digest-sent': async () => {
    await pendingApproval(); // stays waiting: the digest has one to tell
    return runDigest('approval-digest-sent');
  },
  'customer-import-completed': () =>
    runImport('Klantnummer;Naam;E-mail;Taal\r\nREC-IMP-1;Anna Jansen;anna.imp1@example.nl;nl\r\nREC-IMP-2;;leeg@example.nl;nl\r\n'),
  'customer-import-failed-unreadable': () => runImport('Klantnummer;Naam;E-mail\r\nREC-IMP-3;"Piet;piet.imp3@example.nl\r\n'),
};

await mkdir('test/histories', { recursive: true });
// `npm run record-histories -- <name> …` records only those scenarios (the others' files stay as they are)
const only = process.argv.slice(2);
for (const [name, run] of Object.entries(scenarios).filter(([name]) => only.length === 0 || only.includes(name))) {
  const handle = await run();
  const history = await handle.fetchHistory();
  await writeFile(`test/histories/${name}.json`, historyToJSON(history));
  console.log(`recorded test/histories/${name}.json (${history.events?.length} events)`);
}

timerWorker.shutdown();
await timerWorkerRunning;
await timeSkipping.teardown();
await worker.stop();
await db.destroy();
await dropDatabase(serverUrl, database);
await temporal.stop();
await embedded?.stop();
await rm(storageDir, { recursive: true, force: true });
await rm(process.env.WORKFLOW_BUNDLE_PATH, { force: true });
