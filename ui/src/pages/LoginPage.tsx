import { useMutation } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { Navigate, useLocation, useNavigate } from 'react-router';
import { api } from '../api/client';
import type { LoginReply } from '../api/types';
import { authStore, useSession } from '../auth/auth-store';
import { AuthCard } from '../components/AuthCard';
import { Notice } from '../components/States';
import { TextField } from '../components/TextField';
import { useErrorText } from '../lib/errors';
import { usePageTitle } from '../lib/hooks';

export default function LoginPage() {
  const { t } = useTranslation();
  usePageTitle(t('login.title'));
  const errorText = useErrorText();
  const navigate = useNavigate();
  const location = useLocation();
  const session = useSession();
  const state = (location.state ?? {}) as { from?: string };
  const expired = authStore.wasExpired();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');

  const login = useMutation({
    mutationFn: () => api<LoginReply>('/auth/login', { method: 'POST', body: { username: username.trim(), password }, auth: false }),
    onSuccess: (reply) => {
      authStore.signIn(reply);
      if (reply.user.must_change_password) void navigate('/change-password', { replace: true, state: { from: state.from } });
      else void navigate(state.from && state.from !== '/login' ? state.from : '/', { replace: true });
    },
  });

  if (session && !login.isPending && !login.isSuccess) {
    return <Navigate to={session.user.must_change_password ? '/change-password' : '/'} replace />;
  }

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!username.trim() || !password) return;
    login.mutate();
  };

  return (
    <AuthCard>
      <h1>{t('login.title')}</h1>
      <p className="muted">{t('login.intro')}</p>
      {expired && !login.error && <Notice kind="info">{t('login.expired')}</Notice>}
      {login.error && (
        <Notice kind="error" testId="login-error">
          {errorText(login.error)}
        </Notice>
      )}
      <form onSubmit={submit} noValidate>
        <TextField
          id="username"
          label={t('login.username')}
          name="username"
          autoComplete="username"
          required
          autoFocus
          value={username}
          onChange={(e) => setUsername(e.target.value)}
        />
        <TextField
          id="password"
          label={t('login.password')}
          name="password"
          type="password"
          autoComplete="current-password"
          required
          value={password}
          onChange={(e) => setPassword(e.target.value)}
        />
        <button type="submit" className="btn btn-primary btn-block" disabled={login.isPending || !username.trim() || !password}>
          {login.isPending ? t('login.busy') : t('login.submit')}
        </button>
      </form>
    </AuthCard>
  );
}
