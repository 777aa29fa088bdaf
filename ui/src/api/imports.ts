import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { NotTextKind } from '../../../domain/csv-import/binary';
import type { ImportField } from '../../../domain/csv-import/header';
import type { RejectionReason } from '../../../domain/csv-import/rows';
import { isFinished, type ImportFailure, type ImportPhase, type ImportStatus } from '../../../domain/csv-import/status';
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
  /** Why it failed (status failed), worded by the UI; `error` is the technical message. */
  failure: ImportFailure | null;
  created_by: string;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
}

/** A rejected row as the import's detail lists it (the first ten; the error report has them all). */
export interface ImportRejection {
  line: number;
  reason: RejectionReason;
  bebsy_customer_id: string;
}

/** GET /imports/:id: the import with its first rejected rows. */
export interface ImportDetail extends CustomerImport {
  first_rejections: ImportRejection[];
}

export const isRunning = (job: Pick<CustomerImport, 'status'>) => !isFinished(job.status);

/**
 * What the API says about a refused upload beyond its code: a header's missing and found
 * columns (422 unrecognised_header), or what the file is instead of text (415 not_a_text_file).
 */
export interface UploadProblem {
  missing_columns?: ImportField[];
  columns_found?: string[];
  detected?: NotTextKind;
}

/** An API error of the import routes, with the problem its `details` describe (empty when none). */
export class ImportApiError extends ApiError {
  constructor(
    status: number,
    code: string,
    message: string,
    readonly problem: UploadProblem,
  ) {
    super(status, code, message);
  }
}

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
    const payload = (await response.json().catch(() => ({}))) as { error?: string; message?: string; details?: unknown };
    const [problem] = Array.isArray(payload.details) ? payload.details : [];
    throw new ImportApiError(
      response.status,
      payload.error ?? `http_${response.status}`,
      payload.message ?? response.statusText,
      typeof problem === 'object' && problem !== null ? (problem as UploadProblem) : {},
    );
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
    queryFn: ({ signal }) => api<ImportDetail>(`/imports/${encodeURIComponent(id)}`, { signal }),
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
      // the cancel answers the import without its rejected rows: keep the ones already shown
      queryClient.setQueryData<ImportDetail>(['import', id], (shown) => ({ first_rejections: [], ...shown, ...job }));
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
