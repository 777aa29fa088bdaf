import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { ApiError, api, qs } from './client';
import type {
  Customer,
  CustomerDetail,
  DashboardStats,
  EmailDetail,
  EmailKind,
  EmailLocale,
  EmailPreview,
  EmailStatus,
  EmailList,
  Page,
  Period,
  Referral,
  ReferralDetail,
  ReferralStatus,
  RuntimeConfig,
  TopReferrer,
} from './types';

export const DEFAULT_CONFIG: RuntimeConfig = {
  faro: null,
  require_booking_reference: false,
  temporal_web_url: '',
  booking_site_url: 'https://www.bebsy.nl',
};

/** Runtime config; the defaults when the API cannot answer it (the UI still works). */
export async function fetchConfig(): Promise<RuntimeConfig> {
  try {
    return { ...DEFAULT_CONFIG, ...(await api<RuntimeConfig>('/config', { auth: false })) };
  } catch {
    return DEFAULT_CONFIG;
  }
}

export function useConfig() {
  return useQuery({ queryKey: ['config'], queryFn: fetchConfig, staleTime: Infinity });
}

export interface ReferralFilters {
  status?: ReferralStatus;
  flagged?: boolean;
  period?: Period;
  search?: string;
  sort?: 'newest' | 'oldest';
  page?: number;
  cursor?: string;
  limit?: number;
}

export function useReferrals(filters: ReferralFilters) {
  return useQuery({
    queryKey: ['referrals', filters],
    queryFn: ({ signal }) => api<Page<Referral>>(`/referrals${qs({ ...filters })}`, { signal }),
    placeholderData: keepPreviousData,
  });
}

/**
 * How soon the workflow may move this referral on by itself: the rule checks right after
 * submission, and the payout once the reward hold ends. Poll quickly then, slowly otherwise.
 */
function referralPollInterval(referral: ReferralDetail | undefined): number {
  if (!referral) return 30_000;
  if (referral.status === 'submitted') return 1_000;
  const holdUntil = referral.workflow.live?.holdUntil;
  if (referral.status === 'approved' && (!holdUntil || Date.parse(holdUntil) - Date.now() < 60_000)) return 1_500;
  return 30_000;
}

export function useReferral(id: string) {
  return useQuery({
    queryKey: ['referral', id],
    queryFn: ({ signal }) => api<ReferralDetail>(`/referrals/${encodeURIComponent(id)}`, { signal }),
    refetchInterval: (query) => referralPollInterval(query.state.data),
  });
}

export function useCustomers(params: { page: number; cursor?: string; limit: number; search?: string }) {
  return useQuery({
    queryKey: ['customers', params],
    queryFn: ({ signal }) => api<Page<Customer>>(`/customers${qs(params)}`, { signal }),
    placeholderData: keepPreviousData,
  });
}

export function useCustomer(id: string) {
  return useQuery({
    queryKey: ['customer', id],
    queryFn: ({ signal }) => api<CustomerDetail>(`/customers/${encodeURIComponent(id)}`, { signal }),
  });
}

export function useDashboard(period: Period) {
  return useQuery({
    queryKey: ['dashboard', period],
    queryFn: ({ signal }) => api<DashboardStats>(`/dashboard/stats${qs({ period })}`, { signal }),
    placeholderData: keepPreviousData,
    refetchInterval: 60_000,
  });
}

export function useTopReferrers(period: Period, limit = 10) {
  return useQuery({
    queryKey: ['analytics', 'top-referrers', period, limit],
    queryFn: ({ signal }) => api<{ data: TopReferrer[] }>(`/analytics/top-referrers${qs({ period, limit })}`, { signal }),
    placeholderData: keepPreviousData,
    refetchInterval: 60_000,
  });
}

/** Retry network trouble and 5xx a little; never a 4xx (it will not change by retrying). */
export function shouldRetry(failureCount: number, error: unknown): boolean {
  if (error instanceof ApiError && error.status >= 400 && error.status < 500) return false;
  return failureCount < 2;
}

export interface EmailFilters {
  status?: EmailStatus;
  kind?: EmailKind;
  search?: string;
  page?: number;
  limit?: number;
}

export function useEmails(filters: EmailFilters) {
  return useQuery({
    queryKey: ['emails', filters],
    queryFn: ({ signal }) => api<EmailList>(`/emails${qs({ ...filters })}`, { signal }),
    placeholderData: keepPreviousData,
  });
}

export function useEmail(id: string) {
  return useQuery({
    queryKey: ['email', id],
    queryFn: ({ signal }) => api<EmailDetail>(`/emails/${encodeURIComponent(id)}`, { signal }),
  });
}

export function useEmailPreview(template: EmailKind, locale: EmailLocale) {
  return useQuery({
    queryKey: ['email-preview', template, locale],
    queryFn: ({ signal }) => api<EmailPreview>(`/emails/preview/${encodeURIComponent(template)}${qs({ locale })}`, { signal }),
    placeholderData: keepPreviousData,
    staleTime: 5 * 60_000,
  });
}
