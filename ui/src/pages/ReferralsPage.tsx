import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useReferrals, type ReferralFilters } from '../api/queries';
import { PERIODS, REFERRAL_STATUSES, type Referral, type ReferralStatus } from '../api/types';
import { useSession } from '../auth/auth-store';
import { BulkPlanText, BulkProgress } from '../components/BulkPanel';
import { ExportMenu } from '../components/ExportMenu';
import { Pagination } from '../components/Pagination';
import { parsePeriod } from '../components/PeriodSelect';
import { ReferralTable } from '../components/ReferralTable';
import { RejectForm } from '../components/RejectForm';
import { SearchBox } from '../components/SearchBox';
import { EmptyState, ErrorState, Loading } from '../components/States';
import { planBulk, useBulkDecision, type BulkPlan } from '../lib/bulk';
import { useFormat } from '../lib/format';
import { usePageTitle, useQueryParams } from '../lib/hooks';
import { SelectField } from '../components/SelectField';

const LIMIT = 25;
const FILTER_KEYS = ['status', 'flagged', 'period', 'search', 'sort'];

export default function ReferralsPage() {
  const { t } = useTranslation();
  usePageTitle(t('referrals.title'));
  const f = useFormat();
  const session = useSession();
  const canDecide = session?.user.role === 'admin';
  const queryClient = useQueryClient();
  const { params, update, clear } = useQueryParams();

  const status = params.get('status');
  const filters: ReferralFilters = {
    status: (REFERRAL_STATUSES as readonly string[]).includes(status ?? '') ? (status as ReferralStatus) : undefined,
    flagged: params.get('flagged') === 'true' ? true : params.get('flagged') === 'false' ? false : undefined,
    period: parsePeriod(params.get('period'), undefined),
    search: params.get('search') || undefined,
    sort: params.get('sort') === 'oldest' ? 'oldest' : 'newest',
    page: Math.max(1, Number(params.get('page')) || 1),
    cursor: params.get('cursor') || undefined,
    limit: LIMIT,
  };
  const referrals = useReferrals(filters);
  const filterKey = FILTER_KEYS.map((k) => params.get(k) ?? '').join('|');

  // The selection keeps each referral as it was listed, so a bulk decision can tell beforehand
  // which ones it can still apply to, also for those selected on other pages.
  const [selected, setSelected] = useState<Map<string, Referral>>(new Map());
  const [mode, setMode] = useState<'approve' | 'reject' | null>(null);
  const bulk = useBulkDecision();
  useEffect(() => setSelected(new Map()), [filterKey]);

  const rows = referrals.data?.data ?? [];
  const pageIds = rows.map((r) => r.id);
  const allOnPage = pageIds.length > 0 && pageIds.every((id) => selected.has(id));
  const someOnPage = pageIds.some((id) => selected.has(id));
  // as listed now where the page shows them (a status may have moved on since they were selected)
  const selection = [...selected.values()].map((r) => rows.find((row) => row.id === r.id) ?? r);
  const approvePlan = planBulk(selection, 'approved');
  const rejectPlan = planBulk(selection, 'rejected');
  const headerBox = useRef<HTMLInputElement>(null);
  useEffect(() => {
    if (headerBox.current) headerBox.current.indeterminate = someOnPage && !allOnPage;
  }, [someOnPage, allOnPage]);

  const toggle = (referral: Referral) =>
    setSelected((current) => {
      const next = new Map(current);
      if (next.has(referral.id)) next.delete(referral.id);
      else next.set(referral.id, referral);
      return next;
    });
  const togglePage = () =>
    setSelected((current) => {
      const next = new Map(current);
      for (const row of rows) {
        if (allOnPage) next.delete(row.id);
        else next.set(row.id, row);
      }
      return next;
    });

  const decide = async (plan: BulkPlan, reason?: string) => {
    setMode(null);
    const outcome = await bulk.start(plan, reason);
    if (outcome) {
      // Keep only what may work on a second try (the workflow or the network did not answer) and
      // what a stop left unsent; the skipped ones go, the plan has said why.
      const retryable = new Set(
        outcome.results
          .filter((r) => !r.ok && (r.error === 'workflow_unavailable' || r.error === 'network_error' || r.error === 'internal_error'))
          .map((r) => r.id),
      );
      const sent = new Set(outcome.results.map((r) => r.id));
      const unsent = new Set(plan.eligible.map((r) => r.id).filter((id) => !sent.has(id)));
      setSelected((current) => new Map([...current].filter(([id]) => unsent.has(id) || retryable.has(id))));
    }
    void queryClient.invalidateQueries({ queryKey: ['referrals'] });
    void queryClient.invalidateQueries({ queryKey: ['referral'] });
    void queryClient.invalidateQueries({ queryKey: ['dashboard'] });
  };

  const hasFilters = FILTER_KEYS.some((k) => k !== 'sort' && params.get(k));
  const busy = bulk.run?.running ?? false;

  return (
    <div className="page">
      <div className="page-header">
        <h1>{t('referrals.title')}</h1>
      </div>

      <div className="toolbar filters" role="search" aria-label={t('referrals.filters')}>
        <SearchBox
          label={t('referrals.search')}
          placeholder={t('referrals.searchPlaceholder')}
          value={filters.search ?? ''}
          onSearch={(v) => update({ search: v })}
        />
        <SelectField
          id="filter-status"
          label={t('referrals.status')}
          value={filters.status ?? ''}
          options={[
            { value: '', label: t('referrals.allStatuses') },
            ...REFERRAL_STATUSES.map((s) => ({ value: s, label: t(`status.${s}`) })),
          ]}
          onChange={(status) => update({ status })}
        />
        <SelectField
          id="filter-flagged"
          label={t('referrals.flagged')}
          value={params.get('flagged') ?? ''}
          options={[
            { value: '', label: t('referrals.flaggedAll') },
            { value: 'true', label: t('referrals.flaggedOnly') },
            { value: 'false', label: t('referrals.flaggedNone') },
          ]}
          onChange={(flagged) => update({ flagged })}
        />
        <SelectField
          id="filter-period"
          label={t('referrals.period')}
          value={filters.period === undefined ? '' : String(filters.period)}
          options={[
            { value: '', label: t('referrals.periodAll') },
            ...PERIODS.map((p) => ({ value: String(p), label: t('period.last', { count: p }) })),
          ]}
          onChange={(period) => update({ period })}
        />
        <SelectField
          id="filter-sort"
          label={t('referrals.sort')}
          value={filters.sort ?? 'newest'}
          options={[
            { value: 'newest', label: t('referrals.newest') },
            { value: 'oldest', label: t('referrals.oldest') },
          ]}
          onChange={(sort) => update({ sort: sort === 'oldest' ? 'oldest' : null })}
        />
        {hasFilters && (
          <button type="button" className="btn btn-ghost btn-small clear-filters" onClick={() => clear()}>
            {t('referrals.clearFilters')}
          </button>
        )}
        <ExportMenu
          entity="referrals"
          filters={{ status: filters.status, flagged: filters.flagged, period: filters.period, search: filters.search, sort: filters.sort }}
        />
      </div>

      {canDecide && selected.size > 0 && !busy && (
        <div className="bulk-bar" role="region" aria-label={t('bulk.label')} data-testid="bulk-bar">
          <span>
            <strong>{t('bulk.selected', { count: selected.size })}</strong>
          </span>
          {mode === 'reject' ? (
            <div className="bulk-confirm">
              <BulkPlanText plan={rejectPlan} />
              <RejectForm
                onConfirm={(reason) => void decide(rejectPlan, reason)}
                onCancel={() => setMode(null)}
                confirmLabel={t('bulk.confirmReject', { count: rejectPlan.eligible.length })}
              />
            </div>
          ) : mode === 'approve' ? (
            <div className="bulk-confirm">
              <BulkPlanText plan={approvePlan} />
              <div className="button-row">
                <button type="button" className="btn btn-success" onClick={() => void decide(approvePlan)} autoFocus>
                  {t('bulk.confirmApprove', { count: approvePlan.eligible.length })}
                </button>
                <button type="button" className="btn btn-ghost" onClick={() => setMode(null)}>
                  {t('common.cancel')}
                </button>
              </div>
            </div>
          ) : (
            <div className="button-row">
              <button
                type="button"
                className="btn btn-success"
                onClick={() => setMode('approve')}
                disabled={approvePlan.eligible.length === 0}
              >
                {t('bulk.approve', { count: approvePlan.eligible.length })}
              </button>
              <button
                type="button"
                className="btn btn-danger"
                onClick={() => setMode('reject')}
                disabled={rejectPlan.eligible.length === 0}
              >
                {t('bulk.reject', { count: rejectPlan.eligible.length })}
              </button>
              <button type="button" className="btn btn-ghost" onClick={() => setSelected(new Map())}>
                {t('bulk.clear')}
              </button>
            </div>
          )}
        </div>
      )}

      {bulk.run && <BulkProgress run={bulk.run} onStop={bulk.stop} onClose={bulk.reset} />}

      {referrals.isPending ? (
        <Loading />
      ) : referrals.isError ? (
        <ErrorState error={referrals.error} onRetry={() => void referrals.refetch()} />
      ) : rows.length === 0 ? (
        <EmptyState title={hasFilters ? t('referrals.noResults') : t('referrals.empty')}>
          <p>{hasFilters ? t('referrals.noResultsHint') : t('referrals.emptyHint')}</p>
        </EmptyState>
      ) : (
        <>
          <ReferralTable
            referrals={rows}
            caption={t('referrals.title')}
            stale={referrals.isPlaceholderData}
            isSelected={(r) => selected.has(r.id)}
            select={
              canDecide
                ? {
                    header: (
                      <input
                        ref={headerBox}
                        type="checkbox"
                        checked={allOnPage}
                        onChange={togglePage}
                        disabled={busy}
                        aria-label={t('bulk.selectPage')}
                        data-testid="select-page"
                      />
                    ),
                    cell: (r) => (
                      <input
                        type="checkbox"
                        checked={selected.has(r.id)}
                        onChange={() => toggle(r)}
                        disabled={busy}
                        aria-label={t('bulk.selectOne', { id: r.id })}
                      />
                    ),
                  }
                : undefined
            }
          />
          <Pagination
            info={referrals.data.pagination}
            busy={referrals.isFetching}
            onPage={(p) => update({ page: p > 1 ? String(p) : null, cursor: null })}
            onCursor={(cursor) => update({ cursor, page: null })}
          />
          {[...selected.keys()].some((id) => !pageIds.includes(id)) && (
            <p className="muted">{t('bulk.acrossPages', { count: selected.size, n: f.number(selected.size) })}</p>
          )}
        </>
      )}
    </div>
  );
}
