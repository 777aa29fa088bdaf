/**
 * The baseline: starting `referralLifecycle` straight from the Temporal client, with the same
 * options and input shape as ReferralService.submit (api/services/referrals.ts) uses: typed
 * search attributes, USE_EXISTING / REJECT_DUPLICATE, the policy from the same config. Only the
 * workflow ids differ (`bench-direct-...`, never a referral id) so the two sides never collide.
 *
 * A closed loop: `concurrency` async loops, each starting its next workflow as soon as the
 * previous start returned, for a fixed time.
 */
import { performance } from 'node:perf_hooks';
import type { Client } from '@temporalio/client';
import type { ReferralPolicyConfig } from '../config/env.js';
import type { ReferralLifecycleInput } from '../domain/lifecycle.js';
import { ReferralFlaggedKey, ReferralStatusKey, ReferrerCodeKey } from '../domain/search-attributes.js';
import type { referralLifecycle } from '../workflows/referral-lifecycle.js';
import { sendAtFixedRate } from './pacing.js';
import { noMisses, type Misses } from './stats.js';

export interface DirectRunResult {
  seconds: number;
  ok: number;
  errors: number;
  firstError?: string;
  latency: number[];
}

export interface DirectOpenResult {
  seconds: number;
  /** Measured calls (warm-up excluded): each one accepted or a miss. */
  sent: number;
  ok: number;
  /** Accepted starts including the warm-up ones. */
  okIncludingWarmup: number;
  /** Failed calls (warm-up excluded), as connection/RPC errors. */
  misses: Misses;
  /** From the scheduled call time to its answer, a failed call as Infinity (warm-up excluded): as the API's judged latency. */
  latency: number[];
  /** From the actual call to its answer, accepted calls only (diagnosis). */
  serviceTime: number[];
  /** Lateness of the calls against their schedule. */
  sendLag: number[];
}

export interface DirectStarter {
  /** Closed loop: `concurrency` loops for `durationSeconds`. */
  run(concurrency: number, durationSeconds: number): Promise<DirectRunResult>;
  /** Open loop: a start every 1/rate s, whatever the answers do (as the API's open loop). */
  paced(rate: number, warmupSeconds: number, durationSeconds: number): Promise<DirectOpenResult>;
}

export function directStarter(
  client: Client,
  taskQueue: string,
  policy: ReferralPolicyConfig,
  referrerCodes: string[],
  runTag: string,
): DirectStarter {
  let sequence = 0;

  const startOne = async () => {
    const n = sequence++;
    const referrerCode = referrerCodes[n % referrerCodes.length];
    const input: ReferralLifecycleInput = {
      referralId: `direct-${n}`,
      referrerCode,
      bookingReference: null,
      policy: {
        autoApprove: policy.autoApprove,
        expiryDays: policy.expiryDays,
        rewardHoldDays: policy.rewardHoldDays,
        clawbackWindowDays: policy.clawbackWindowDays,
        rewardAmountCents: policy.rewardAmountCents,
      },
    };
    await client.workflow.start<typeof referralLifecycle>('referralLifecycle', {
      workflowId: `bench-direct-${runTag}-${n}`,
      taskQueue,
      args: [input],
      workflowIdConflictPolicy: 'USE_EXISTING',
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      typedSearchAttributes: [
        { key: ReferralStatusKey, value: 'submitted' },
        { key: ReferrerCodeKey, value: referrerCode },
        { key: ReferralFlaggedKey, value: false },
      ],
    });
  };

  return {
    async run(concurrency, durationSeconds) {
      const latency: number[] = [];
      let ok = 0;
      let errors = 0;
      let firstError: string | undefined;
      const started = performance.now();
      const deadline = started + durationSeconds * 1000;
      const loop = async () => {
        // Bounded by time; a run that only fails stops early instead of spinning.
        while (performance.now() < deadline && errors < 1000) {
          const t = performance.now();
          try {
            await startOne();
            ok++;
            latency.push(performance.now() - t);
          } catch (error) {
            errors++;
            firstError ??= error instanceof Error ? error.message : String(error);
          }
        }
      };
      await Promise.all(Array.from({ length: concurrency }, loop));
      return { seconds: (performance.now() - started) / 1000, ok, errors, firstError, latency };
    },

    async paced(rate, warmupSeconds, durationSeconds) {
      const interval = 1000 / rate;
      const warmupCount = Math.round(rate * warmupSeconds);
      const total = warmupCount + Math.round(rate * durationSeconds);
      const latency: number[] = [];
      const serviceTime: number[] = [];
      const sendLag: number[] = [];
      const misses = noMisses();
      let ok = 0;
      let okIncludingWarmup = 0;
      let lastEnd = 0;
      const send = async (index: number, scheduledAt: number) => {
        const t = performance.now();
        const measured = index >= warmupCount;
        if (measured) sendLag.push(t - scheduledAt);
        try {
          await startOne();
          okIncludingWarmup++;
          if (measured) {
            ok++;
            const end = performance.now();
            latency.push(end - scheduledAt);
            serviceTime.push(end - t);
          }
        } catch (error) {
          if (measured) {
            latency.push(Number.POSITIVE_INFINITY);
            misses.connectionErrors++;
            misses.firstError ??= error instanceof Error ? error.message : String(error);
          }
        }
        lastEnd = Math.max(lastEnd, performance.now());
      };
      const t0 = await sendAtFixedRate(total, interval, send);
      const measureStart = t0 + warmupCount * interval;
      const seconds = (Math.max(lastEnd, t0 + total * interval) - measureStart) / 1000;
      return { seconds, sent: total - warmupCount, ok, okIncludingWarmup, misses, latency, serviceTime, sendLag };
    },
  };
}
