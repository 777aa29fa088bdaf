import { useQuery, useQueryClient } from '@tanstack/react-query';
import { Suspense, useEffect, useRef } from 'react';
import { useTranslation } from 'react-i18next';
import { NavLink, Outlet, useLocation, useNavigate } from 'react-router';
import { api } from '../api/client';
import type { Page, Referral } from '../api/types';
import { authStore, useSession } from '../auth/auth-store';
import { useFormat } from '../lib/format';
import { ErrorBoundary } from './ErrorBoundary';
import { LanguageSwitch } from './LanguageSwitch';
import { Loading } from './States';

/** How many referrals wait for a decision, for the badge in the menu. */
function usePendingCount() {
  return useQuery({
    queryKey: ['referrals', 'pending-count'],
    queryFn: ({ signal }) => api<Page<Referral>>('/referrals?status=pending_approval&limit=1', { signal }),
    select: (page) => page.pagination.total,
    refetchInterval: 60_000,
  });
}

export function Layout() {
  const { t } = useTranslation();
  const f = useFormat();
  const session = useSession();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const location = useLocation();
  const main = useRef<HTMLElement>(null);
  const first = useRef(true);
  const pending = usePendingCount();

  // After navigating, focus lands on the new page (not left on the old link).
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    main.current?.focus({ preventScroll: true });
    window.scrollTo(0, 0);
  }, [location.pathname]);

  const signOut = () => {
    authStore.signOut();
    queryClient.removeQueries({ predicate: (query) => query.queryKey[0] !== 'config' });
    void navigate('/login', { replace: true });
  };

  const links = [
    { to: '/', label: t('nav.dashboard'), end: true },
    { to: '/review', label: t('nav.review'), count: pending.data },
    { to: '/referrals', label: t('nav.referrals') },
    { to: '/customers', label: t('nav.customers') },
    { to: '/imports', label: t('nav.imports') },
    { to: '/emails', label: t('nav.emails') },
    { to: '/admin', label: t('nav.admin') },
  ];

  return (
    <div className="app">
      <a className="skip-link" href="#main">
        {t('nav.skip')}
      </a>
      <header className="topbar">
        <NavLink to="/" className="brand">
          <span className="brand-mark" aria-hidden="true">
            B
          </span>
          <span className="brand-name">
            Bebsy <span className="brand-sub">{t('app.product')}</span>
          </span>
        </NavLink>
        <div className="topbar-tools">
          <LanguageSwitch compact />
          <span className="user" data-testid="current-user">
            <span className="visually-hidden">{t('nav.signedInAs')} </span>
            {session?.user.username}
            {session?.user.role === 'viewer' && <span className="role"> ({t('nav.viewer')})</span>}
          </span>
          <button type="button" className="btn btn-ghost" onClick={signOut}>
            {t('nav.signOut')}
          </button>
        </div>
      </header>
      <div className="shell">
        <nav className="sidebar" aria-label={t('nav.label')}>
          <ul>
            {links.map((link) => (
              <li key={link.to}>
                <NavLink to={link.to} end={link.end}>
                  <span>{link.label}</span>
                  {link.count !== undefined && link.count > 0 && (
                    <span className="nav-count">
                      <span aria-hidden="true">{f.number(link.count)}</span>
                      <span className="visually-hidden">{t('nav.waiting', { count: link.count })}</span>
                    </span>
                  )}
                </NavLink>
              </li>
            ))}
          </ul>
        </nav>
        <main id="main" ref={main} tabIndex={-1} className="main">
          <ErrorBoundary resetKey={location.pathname}>
            <Suspense fallback={<Loading />}>
              <Outlet />
            </Suspense>
          </ErrorBoundary>
        </main>
      </div>
    </div>
  );
}
