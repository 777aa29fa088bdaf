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
describe('replaying recorded referral histories', () => {
  it('replays every recorded history without nondeterminism', async () => {
    quietTemporalRuntime();
    const files = (await readdir('test/histories')).filter((f) => f.endsWith('.json')).sort();
    assert.ok(files.length >= 8, 'the recorded histories are missing (v1-*: before the email notifications)');
    const histories = await Promise.all(
      files.map(async (file) => ({
        workflowId: file.replace(/\.json$/, ''),
        history: historyFromJSON(JSON.parse(await readFile(`test/histories/${file}`, 'utf8'))),
      })),
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
