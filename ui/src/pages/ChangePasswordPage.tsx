import { useMutation } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { useLocation, useNavigate } from 'react-router';
import { ApiError, api } from '../api/client';
import type { User } from '../api/types';
import { authStore, useSession } from '../auth/auth-store';
import { Notice } from '../components/States';
import { useErrorText } from '../lib/errors';
import { usePageTitle } from '../lib/hooks';

const MIN_LENGTH = 12;

/** Required when the account is marked must_change_password; also reachable to change it any time. */
export default function ChangePasswordPage() {
  const { t } = useTranslation();
  usePageTitle(t('password.title'));
  const errorText = useErrorText();
  const session = useSession();
  const navigate = useNavigate();
  const location = useLocation();
  const from = (location.state as { from?: string } | null)?.from;
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [repeat, setRepeat] = useState('');
  const [touched, setTouched] = useState(false);

  const problems = {
    next: next.length < MIN_LENGTH ? t('password.tooShort', { min: MIN_LENGTH }) : next === current ? t('password.same') : null,
    repeat: repeat !== next ? t('password.mismatch') : null,
  };

  const change = useMutation({
    mutationFn: () => api<{ user: User }>('/auth/change-password', { method: 'POST', body: { current_password: current, new_password: next } }),
    onSuccess: ({ user }) => {
      authStore.updateUser(user);
      navigate(from && from !== '/login' ? from : '/', { replace: true, state: { passwordChanged: true } });
    },
  });

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setTouched(true);
    if (!current || problems.next || problems.repeat) return;
    change.mutate();
  };

  const currentWrong = change.error instanceof ApiError && change.error.code === 'invalid_credentials';
  const forced = session?.user.must_change_password;

  return (
    <main className="auth-page" id="main">
      <div className="auth-card">
        <h1>{t('password.title')}</h1>
        <p className="muted">{forced ? t('password.forced') : t('password.intro')}</p>
        {change.error && !currentWrong && <Notice kind="error">{errorText(change.error)}</Notice>}
        <form onSubmit={submit} noValidate>
          <div className="field">
            <label htmlFor="current-password">{t('password.current')}</label>
            <input
              id="current-password"
              type="password"
              autoComplete="current-password"
              required
              autoFocus
              value={current}
              aria-invalid={currentWrong || undefined}
              aria-describedby={currentWrong ? 'current-password-error' : undefined}
              onChange={(e) => setCurrent(e.target.value)}
            />
            {currentWrong && (
              <p className="field-error" id="current-password-error">
                {t('password.currentWrong')}
              </p>
            )}
          </div>
          <div className="field">
            <label htmlFor="new-password">{t('password.new')}</label>
            <input
              id="new-password"
              type="password"
              autoComplete="new-password"
              required
              minLength={MIN_LENGTH}
              value={next}
              aria-invalid={(touched && !!problems.next) || undefined}
              aria-describedby="new-password-hint"
              onChange={(e) => setNext(e.target.value)}
            />
            <p className="field-hint" id="new-password-hint">
              {touched && problems.next ? <span className="field-error">{problems.next}</span> : t('password.hint', { min: MIN_LENGTH })}
            </p>
          </div>
          <div className="field">
            <label htmlFor="repeat-password">{t('password.repeat')}</label>
            <input
              id="repeat-password"
              type="password"
              autoComplete="new-password"
              required
              value={repeat}
              aria-invalid={(touched && !!problems.repeat) || undefined}
              aria-describedby={touched && problems.repeat ? 'repeat-password-error' : undefined}
              onChange={(e) => setRepeat(e.target.value)}
            />
            {touched && problems.repeat && (
              <p className="field-error" id="repeat-password-error">
                {problems.repeat}
              </p>
            )}
          </div>
          <button type="submit" className="btn btn-primary btn-block" disabled={change.isPending}>
            {change.isPending ? t('common.saving') : t('password.submit')}
          </button>
        </form>
        {forced ? (
          <button
            type="button"
            className="btn btn-ghost btn-block"
            onClick={() => {
              authStore.signOut();
              navigate('/login', { replace: true });
            }}
          >
            {t('nav.signOut')}
          </button>
        ) : (
          <button type="button" className="btn btn-ghost btn-block" onClick={() => navigate(-1)}>
            {t('common.cancel')}
          </button>
        )}
      </div>
    </main>
  );
}
