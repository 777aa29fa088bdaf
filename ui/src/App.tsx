import { useQueryClient } from '@tanstack/react-query';
import { lazy, Suspense, useEffect, type ReactNode } from 'react';
import { Navigate, Route, Routes, useLocation, useNavigate } from 'react-router';
import { onUnauthorized } from './api/client';
import { authStore, useSession } from './auth/auth-store';
import { ErrorBoundary } from './components/ErrorBoundary';
import { Layout } from './components/Layout';
import { Loading } from './components/States';
import { reportView } from './observability/faro-bridge';

// Every screen is its own chunk: the first load carries only the shell.
const LoginPage = lazy(() => import('./pages/LoginPage'));
const ChangePasswordPage = lazy(() => import('./pages/ChangePasswordPage'));
const DashboardPage = lazy(() => import('./pages/DashboardPage'));
const ReviewQueuePage = lazy(() => import('./pages/ReviewQueuePage'));
const ReferralsPage = lazy(() => import('./pages/ReferralsPage'));
const ReferralDetailPage = lazy(() => import('./pages/ReferralDetailPage'));
const CustomersPage = lazy(() => import('./pages/CustomersPage'));
const NewCustomerPage = lazy(() => import('./pages/NewCustomerPage'));
const CustomerDetailPage = lazy(() => import('./pages/CustomerDetailPage'));
const EmailsPage = lazy(() => import('./pages/EmailsPage'));
const AdminPage = lazy(() => import('./pages/AdminPage'));
const ImportsPage = lazy(() => import('./pages/ImportsPage'));
const ImportDetailPage = lazy(() => import('./pages/ImportDetailPage'));
const EmailDetailPage = lazy(() => import('./pages/EmailDetailPage'));
const EmailPreviewsPage = lazy(() => import('./pages/EmailPreviewsPage'));
const PublicReferralPage = lazy(() => import('./pages/PublicReferralPage'));
const NotFoundPage = lazy(() => import('./pages/NotFoundPage'));

/** The route pattern of a path, for page views without ids or codes. */
function viewName(pathname: string): string {
  return pathname.replace(/^\/r\/[^/]+/, '/r/:code').replace(/\/\d+(?=\/|$)/g, '/:id') || '/';
}

function RequireAuth({ children, passwordChange = false }: { children: ReactNode; passwordChange?: boolean }) {
  const session = useSession();
  const location = useLocation();
  if (!session) return <Navigate to="/login" replace state={{ from: location.pathname + location.search }} />;
  if (session.user.must_change_password && !passwordChange) return <Navigate to="/change-password" replace />;
  return children;
}

export function App() {
  const location = useLocation();
  const navigate = useNavigate();
  const queryClient = useQueryClient();

  useEffect(() => reportView(viewName(location.pathname)), [location.pathname]);

  useEffect(
    () =>
      onUnauthorized(() => {
        const from = window.location.pathname + window.location.search;
        authStore.signOut('expired');
        queryClient.removeQueries({ predicate: (query) => query.queryKey[0] !== 'config' });
        void navigate('/login', { replace: true, state: { from } });
      }),
    [navigate, queryClient],
  );

  const page = (element: ReactNode) => <Suspense fallback={<Loading />}>{element}</Suspense>;

  return (
    <ErrorBoundary resetKey={location.pathname}>
      <Routes>
        <Route path="/r/:code" element={page(<PublicReferralPage />)} />
        <Route path="/login" element={page(<LoginPage />)} />
        <Route path="/change-password" element={<RequireAuth passwordChange>{page(<ChangePasswordPage />)}</RequireAuth>} />
        <Route
          element={
            <RequireAuth>
              <Layout />
            </RequireAuth>
          }
        >
          <Route index element={<DashboardPage />} />
          <Route path="review" element={<ReviewQueuePage />} />
          <Route path="referrals" element={<ReferralsPage />} />
          <Route path="referrals/:id" element={<ReferralDetailPage />} />
          <Route path="customers" element={<CustomersPage />} />
          <Route path="customers/new" element={<NewCustomerPage />} />
          <Route path="customers/:id" element={<CustomerDetailPage />} />
          <Route path="imports" element={<ImportsPage />} />
          <Route path="imports/:id" element={<ImportDetailPage />} />
          <Route path="emails" element={<EmailsPage />} />
          <Route path="emails/previews" element={<EmailPreviewsPage />} />
          <Route path="emails/:id" element={<EmailDetailPage />} />
          <Route path="admin" element={<AdminPage />} />
          <Route path="*" element={<NotFoundPage />} />
        </Route>
      </Routes>
    </ErrorBoundary>
  );
}
