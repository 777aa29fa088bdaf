/**
 * Records workflow histories for the replay test (test/replay.test.ts): runs each scenario
 * against a throw-away dev server and Postgres, and saves the histories in test/histories/.
 * Run it when a new workflow branch is added (`npx tsx scripts/record-histories.ts`); never
 * re-record to make a failing replay pass: a failing replay means the change needs `patched()`.
 * Before recording after a workflow change, keep the previous set under a version prefix
 * (test/histories/v1-*.json: before the email notifications) so both keep replaying.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { Client, Connection } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { loadConfig } from '../config/env.js';
import { openDatabase } from '../db/connect.js';
import { referralSearchAttributes } from '../domain/search-attributes.js';
import { ReferralService } from '../api/services/referrals.js';
import { receiveBookingWebhook } from '../api/services/booking-webhooks.js';
import { createCustomer } from '../db/repositories/customers.js';
import { referralWorkflowId } from '../workflows/definitions.js';
import { startWorker } from '../worker/run.js';
import { dropDatabase, ensureDatabase } from './databases.js';
import { startDevTemporal } from './infra/dev-temporal.js';
import { startEmbeddedPostgres } from './infra/embedded-postgres.js';

const embedded = process.env.DATABASE_URL ? null : await startEmbeddedPostgres({ dataDir: '.data/record-postgres' });
const serverUrl = process.env.DATABASE_URL ?? embedded!.url;
const database = `bebsy_record_${Date.now()}`;
const temporal = await startDevTemporal({ searchAttributes: referralSearchAttributes, uiPort: false });
const config = loadConfig({
  NODE_ENV: 'test',
  LOG_LEVEL: 'warn',
  REWARD_HOLD_DAYS: '0',
  CLAWBACK_WINDOW_DAYS: '0',
  TEMPORAL_ADDRESS: temporal.address,
  TEMPORAL_TASK_QUEUE: 'record',
});
const db = await openDatabase(config, await ensureDatabase(serverUrl, database));
const worker = await startWorker(config, db, temporal.address);
const client = new Client({ connection: await Connection.connect({ address: temporal.address }) });
const deps = { client, namespace: 'default', taskQueue: 'record', webUrl: '' };
const referrals = new ReferralService(db, deps, config.referrals);

let n = 0;
async function newReferral(friendEmail?: string) {
  n++;
  const created = await createCustomer(db, {
    bebsy_customer_id: `REC-${n}`,
    name: `Recorder ${n}`,
    email: `recorder${n}@example.nl`,
    locale: 'nl',
  });
  if (created.kind !== 'created') throw new Error('customer not created');
  const { referral } = await referrals.submit({
    referrerCode: created.customer.referral_code,
    newCustomerEmail: friendEmail ?? `friend${n}@example.nl`,
    bookingReference: `REC-BK-${n}`,
  });
  return { referral, handle: client.workflow.getHandle(referralWorkflowId(referral.id)), referrerEmail: created.customer.email };
}
const signal = (type: 'booking.confirmed' | 'booking.cancelled', reference: string) =>
  receiveBookingWebhook(db, deps, `rec_${type}_${reference}`, {
    type,
    data: { booking_reference: reference, booking_value: 750, currency: 'EUR', departure_date: '2020-01-01' },
  });
const until = async (handle: ReturnType<typeof client.workflow.getHandle>, status: string) => {
  for (let i = 0; i < 200; i++) {
    if ((await handle.query<{ status: string }>('referralState')).status === status) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`never reached ${status}`);
};
const review = (id: string, decision: 'approved' | 'rejected') =>
  referrals.review(id, decision, 'admin:recorder', decision === 'rejected' ? 'recorded rejection' : undefined);

const scenarios: Record<string, () => Promise<ReturnType<typeof client.workflow.getHandle>>> = {
  'paid-after-approval-and-clawback-window': async () => {
    const { referral, handle } = await newReferral();
    await until(handle, 'awaiting_booking');
    await signal('booking.confirmed', referral.booking_reference!);
    await until(handle, 'pending_approval');
    await review(referral.id, 'approved');
    await handle.result();
    return handle;
  },
  'rejected-by-rules-self-referral': async () => {
    const { handle } = await newReferral(`recorder${n + 1}@example.nl`);
    await handle.result();
    return handle;
  },
  'rejected-by-admin': async () => {
    const { referral, handle } = await newReferral();
    await until(handle, 'awaiting_booking');
    await signal('booking.confirmed', referral.booking_reference!);
    await until(handle, 'pending_approval');
    await review(referral.id, 'rejected');
    await handle.result();
    return handle;
  },
  'revoked-when-cancelled-before-approval': async () => {
    const { referral, handle } = await newReferral();
    await until(handle, 'awaiting_booking');
    await signal('booking.confirmed', referral.booking_reference!);
    await until(handle, 'pending_approval');
    await signal('booking.cancelled', referral.booking_reference!);
    await handle.result();
    return handle;
  },
};

await mkdir('test/histories', { recursive: true });
for (const [name, run] of Object.entries(scenarios)) {
  const handle = await run();
  const history = await handle.fetchHistory();
  await writeFile(`test/histories/${name}.json`, historyToJSON(history));
  console.log(`recorded test/histories/${name}.json (${history.events?.length} events)`);
}

await worker.stop();
await db.destroy();
await dropDatabase(serverUrl, database);
await temporal.stop();
await embedded?.stop();
