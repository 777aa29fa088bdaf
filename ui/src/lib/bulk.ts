import { useCallback, useRef, useState } from 'react';
import { ApiError, api } from '../api/client';
import { REFERRAL_STATUSES, type BulkReply, type BulkResult, type Referral, type ReferralStatus } from '../api/types';
import { canApprove, canReject } from './review';

export const BULK_CHUNK = 25;

export type BulkDecision = 'approved' | 'rejected';

/** What a bulk decision would do with a selection, told to the admin before anything is sent. */
export interface BulkPlan {
  decision: BulkDecision;
  selected: number;
  /** The referrals the decision can still apply to (the workflow's validator has the last word). */
  eligible: Referral[];
  /** The others, counted per status in lifecycle order (e.g. 4 already approved); nothing is sent for them. */
  skipped: [ReferralStatus, number][];
  /** How many of the eligible a rule check flagged. */
  flagged: number;
}

export function planBulk(referrals: Referral[], decision: BulkDecision): BulkPlan {
  const allowed = decision === 'approved' ? canApprove : canReject;
  const eligible = referrals.filter((r) => allowed(r.status));
  const skipped = REFERRAL_STATUSES.filter((status) => !allowed(status))
    .map((status): [ReferralStatus, number] => [status, referrals.filter((r) => r.status === status).length])
    .filter(([, count]) => count > 0);
  return { decision, selected: referrals.length, eligible, skipped, flagged: eligible.filter((r) => r.flagged).length };
}

export interface BulkRun {
  decision: BulkDecision;
  /** Selected but left out by the plan. */
  skipped: number;
  total: number;
  done: number;
  results: BulkResult[];
  running: boolean;
  stopped: boolean;
}

/**
 * Sends a bulk decision for the plan's eligible referrals (never the skipped ones) in chunks
 * (25 ids per request) one after another, so the progress bar shows real progress and each
 * referral gets its own outcome. A chunk that fails as a whole (network, 5xx) marks its ids
 * failed and the run goes on; 401 ends it.
 */
export function useBulkDecision() {
  const [run, setRun] = useState<BulkRun | null>(null);
  const stop = useRef(false);

  const start = useCallback(async ({ decision, eligible, selected }: BulkPlan, reason?: string) => {
    const ids = eligible.map((r) => r.id);
    stop.current = false;
    let state: BulkRun = {
      decision,
      skipped: selected - ids.length,
      total: ids.length,
      done: 0,
      results: [],
      running: true,
      stopped: false,
    };
    setRun(state);
    for (let i = 0; i < ids.length; i += BULK_CHUNK) {
      if (stop.current) {
        state = { ...state, stopped: true };
        break;
      }
      const chunk = ids.slice(i, i + BULK_CHUNK);
      let results: BulkResult[];
      try {
        const reply = await api<BulkReply>('/referrals/bulk-update', {
          method: 'POST',
          body: { referralIds: chunk, status: decision, ...(reason ? { reason } : {}) },
        });
        results = reply.results;
      } catch (error) {
        if (error instanceof ApiError && error.status === 401) {
          setRun({ ...state, running: false, stopped: true });
          return;
        }
        const code = error instanceof ApiError ? error.code : 'network_error';
        const message = error instanceof Error ? error.message : String(error);
        results = chunk.map((id) => ({ id, ok: false, error: code, message }));
      }
      state = { ...state, done: state.done + chunk.length, results: [...state.results, ...results] };
      setRun(state);
    }
    state = { ...state, running: false };
    setRun(state);
    return state;
  }, []);

  return {
    run,
    start,
    stop: () => {
      stop.current = true;
    },
    reset: () => setRun(null),
  };
}
