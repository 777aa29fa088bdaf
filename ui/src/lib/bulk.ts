import { useCallback, useRef, useState } from 'react';
import { ApiError, api } from '../api/client';
import type { BulkReply, BulkResult } from '../api/types';

export const BULK_CHUNK = 25;

export interface BulkRun {
  decision: 'approved' | 'rejected';
  total: number;
  done: number;
  results: BulkResult[];
  running: boolean;
  stopped: boolean;
}

/**
 * Sends a bulk decision in chunks (25 ids per request) one after another, so the progress
 * bar shows real progress and each referral gets its own outcome. A chunk that fails as a
 * whole (network, 5xx) marks its ids failed and the run goes on; 401 ends it.
 */
export function useBulkDecision() {
  const [run, setRun] = useState<BulkRun | null>(null);
  const stop = useRef(false);

  const start = useCallback(async (ids: string[], decision: 'approved' | 'rejected', reason?: string) => {
    stop.current = false;
    let state: BulkRun = { decision, total: ids.length, done: 0, results: [], running: true, stopped: false };
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
