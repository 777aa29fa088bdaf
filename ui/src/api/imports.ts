import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { isFinished, type ImportPhase, type ImportStatus } from '../../../domain/csv-import/status';
import { authStore } from '../auth/auth-store';
import { ApiError, api, qs } from './client';
import type { Page } from './types';

export interface CustomerImport {
  id: string;
  status: ImportStatus;
  phase: ImportPhase;
  file_name: string;
  file_bytes: number;
  encoding: string | null;
  delimiter: string | null;
  rows_processed: number;
  percent: number | null;
  inserted: number;
  updated: number;
  unchanged: number;
  rejected: number;
  error: string | null;
  created_by: string;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
}

export const isRunning = (job: Pick<CustomerImport, 'status'>) => !isFinished(job.status);

/** Uploads and file downloads: the JSON client does not fit, the session's token and error shape do. */
async function authorisedFetch(path: string, init: RequestInit = {}): Promise<Response> {
  const token = authStore.get()?.token;
  let response: Response;
  try {
    response = await window.fetch(`/api${path}`, { ...init, headers: { ...(token && { authorization: `Bearer ${token}` }) } });
  } catch (error) {
    throw new ApiError(0, 'network_error', (error as Error).message);
  }
  if (!response.ok) {
    const payload = (await response.json().catch(() => ({}))) as { error?: string; message?: string };
    throw new ApiError(response.status, payload.error ?? `http_${response.status}`, payload.message ?? response.statusText);
  }
  return response;
}

export function useImports(params: { page: number; limit: number }) {
  return useQuery({
    queryKey: ['imports', params],
    queryFn: ({ signal }) => api<Page<CustomerImport>>(`/imports${qs(params)}`, { signal }),
    placeholderData: keepPreviousData,
    refetchInterval: (query) => (query.state.data?.data.some(isRunning) ? 2_000 : false),
  });
}

/** One import; polled every second while it runs, so its progress bar moves. */
export function useImport(id: string) {
  return useQuery({
    queryKey: ['import', id],
    queryFn: ({ signal }) => api<CustomerImport>(`/imports/${encodeURIComponent(id)}`, { signal }),
    refetchInterval: (query) => (query.state.data && !isRunning(query.state.data) ? false : 1_000),
  });
}

export function useUploadImport() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async (file: File) => {
      const form = new FormData();
      form.append('file', file);
      const response = await authorisedFetch('/customers/import', { method: 'POST', body: form });
      return (await response.json()) as CustomerImport;
    },
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['imports'] }),
  });
}

export function useCancelImport(id: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: () => api<CustomerImport>(`/imports/${encodeURIComponent(id)}/cancel`, { method: 'POST' }),
    onSuccess: (job) => {
      queryClient.setQueryData(['import', id], job);
      void queryClient.invalidateQueries({ queryKey: ['imports'] });
    },
  });
}

/** Downloads the error report (needs the bearer token, so not a plain link). */
export async function downloadErrorReport(job: CustomerImport, lang: string): Promise<void> {
  const response = await authorisedFetch(`/imports/${encodeURIComponent(job.id)}/errors.csv${qs({ lang: lang === 'en' ? 'en' : 'nl' })}`);
  const url = URL.createObjectURL(await response.blob());
  const link = document.createElement('a');
  link.href = url;
  link.download = `import-${job.id}-${lang === 'en' ? 'errors' : 'fouten'}.csv`;
  link.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
