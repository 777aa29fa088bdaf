import assert from 'node:assert/strict';
import { ApplicationFailure } from '@temporalio/common';

/** The ApplicationFailure an activity threw (fails the test when it did not throw one). */
export async function failureOf(promise: Promise<unknown>): Promise<ApplicationFailure> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof ApplicationFailure, `expected an ApplicationFailure, got ${String(error)}`);
    return error;
  }
  assert.fail('expected sendEmail to throw');
}
