import { useMutation, useQueryClient, type UseMutationOptions } from '@tanstack/react-query';
import { api } from '../api/client';
import type { ReferralStatus, ReviewReply } from '../api/types';

/** What an admin may do in a status (the workflow's validator has the last word: 409). */
export const canApprove = (status: ReferralStatus) => status === 'pending_approval';
export const canReject = (status: ReferralStatus) => status === 'pending_approval' || status === 'awaiting_booking';

/** One admin decision on one referral (a rejection carries its reason). */
export interface ReviewDecision {
  id: string;
  status: 'approved' | 'rejected';
  reason?: string;
}

/**
 * Approves or rejects a referral (`PUT /referrals/:id/status`); the page says what follows
 * (`onSuccess`, `onError`). Whatever the answer, the referral, the lists and the dashboard are
 * read again.
 */
export function useReviewReferral(options: Pick<UseMutationOptions<ReviewReply, Error, ReviewDecision>, 'onSuccess' | 'onError'> = {}) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ id, status, reason }: ReviewDecision) =>
      api<ReviewReply>(`/referrals/${encodeURIComponent(id)}/status`, { method: 'PUT', body: { status, reason } }),
    ...options,
    onSettled: (_reply, _error, { id }) => {
      void queryClient.invalidateQueries({ queryKey: ['referral', id] });
      void queryClient.invalidateQueries({ queryKey: ['referrals'] });
      void queryClient.invalidateQueries({ queryKey: ['dashboard'] });
    },
  });
}
