import assert from 'node:assert/strict';
import { readFile, readdir } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils.js';
import { Worker } from '@temporalio/worker';
import { quietTemporalRuntime } from './support/system.js';

/**
 * Recorded histories (scripts/record-histories.ts) replayed against today's workflow code:
 * a change that would break running referrals fails here and needs `patched()`.
 */
describe('replaying recorded workflow histories', () => {
  it('replays every recorded history (each workflow, both sides of each patch) without nondeterminism', async () => {
    quietTemporalRuntime();
    const files = (await readdir('test/histories')).filter((f) => f.endsWith('.json')).sort();
    // v1-* (4): before the email notifications; v2-* (4): before 'hold-until-departure-day-ends'; the current set (12).
    assert.ok(files.length >= 20, `${files.length} recorded histories: some are missing`);
    const histories = await Promise.all(
      files.map(async (file) => ({
        workflowId: file.replace(/\.json$/, ''),
        history: historyFromJSON(JSON.parse(await readFile(`test/histories/${file}`, 'utf8'))),
      })),
    );

    // Every workflow the worker runs has recorded histories, and both sides of each patch replay.
    const workflowTypes = new Set(
      histories.map(({ history }) => history.events?.[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name),
    );
    assert.deepEqual([...workflowTypes].sort(), ['approvalDigest', 'customerImport', 'referralLifecycle']);
    const patchesOf = (history: (typeof histories)[number]['history']) =>
      (history.events ?? []).flatMap((e) => {
        const data = e.markerRecordedEventAttributes?.details?.['patch-data']?.payloads?.[0]?.data;
        return data ? [(JSON.parse(Buffer.from(data).toString('utf8')) as { id: string }).id] : [];
      });
    const activitiesOf = (history: (typeof histories)[number]['history']) =>
      (history.events ?? []).flatMap((e) => {
        const name = e.activityTaskScheduledEventAttributes?.activityType?.name;
        return name ? [name] : [];
      });
    // An activity the workflow schedules only after a patch's check: a history with it went through that check.
    const checkedBefore = { 'email-notifications': 'takePendingBookingEvents', 'hold-until-departure-day-ends': 'payReward' };
    for (const [patch, activity] of Object.entries(checkedBefore)) {
      const through = histories.filter(({ history }) => activitiesOf(history).includes(activity));
      const patched = through.filter(({ history }) => patchesOf(history).includes(patch)).map((h) => h.workflowId);
      const unpatched = through.filter(({ history }) => !patchesOf(history).includes(patch)).map((h) => h.workflowId);
      assert.ok(patched.length > 0, `no recorded history takes the new branch of '${patch}'`);
      assert.ok(unpatched.length > 0, `no recorded history takes the old branch of '${patch}'`);
    }
    // early-cancellation-kept is asked only when a cancellation comes before its confirmation: its marker is the new branch
    assert.ok(
      histories.some(({ history }) => patchesOf(history).includes('early-cancellation-kept')),
      "no recorded history takes the new branch of 'early-cancellation-kept'",
    );

    const bundlePath = process.env.WORKFLOW_BUNDLE_PATH;
    const results = Worker.runReplayHistories(
      bundlePath
        ? { workflowBundle: { codePath: bundlePath } }
        : { workflowsPath: new URL('../workflows/index.ts', import.meta.url).pathname },
      histories,
    );
    const replayed: string[] = [];
    for await (const result of results) {
      assert.equal(result.error, undefined, `${result.workflowId}: ${result.error?.message}`);
      replayed.push(result.workflowId);
    }
    assert.deepEqual(
      replayed.sort(),
      files.map((f) => f.replace(/\.json$/, '')),
    );
  });
});
