import { useMutation } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { useLocation, useNavigate } from 'react-router';
import { ApiError, api } from '../api/client';
import type { User } from '../api/types';
import { authStore, useSession } from '../auth/auth-store';
import { AuthCard } from '../components/AuthCard';
import { Notice } from '../components/States';
import { TextField } from '../components/TextField';
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
    mutationFn: () =>
      api<{ token: string; user: User }>('/auth/change-password', {
        method: 'POST',
        body: { current_password: current, new_password: next },
      }),
    onSuccess: ({ token, user }) => {
      // the change ended every earlier session, this one's token included
      authStore.replaceSession({ token, user });
      void navigate(from && from !== '/login' ? from : '/', { replace: true, state: { passwordChanged: true } });
    },
  });

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setTouched(true);
    if (!current || problems.next || problems.repeat) return;
    change.mutate();
  };

  const currentWrong = change.error instanceof ApiError && change.error.code === 'invalid_credentials';
  const tooWeak = change.error instanceof ApiError && change.error.code === 'weak_password';
  const forced = session?.user.must_change_password;

  return (
    <AuthCard>
      <h1>{t('password.title')}</h1>
      <p className="muted">{forced ? t('password.forced') : t('password.intro')}</p>
      {change.error && !currentWrong && !tooWeak && <Notice kind="error">{errorText(change.error)}</Notice>}
      <form onSubmit={submit} noValidate>
        <TextField
          id="current-password"
          label={t('password.current')}
          type="password"
          autoComplete="current-password"
          required
          autoFocus
          value={current}
          error={currentWrong && t('password.currentWrong')}
          onChange={(e) => setCurrent(e.target.value)}
        />
        <TextField
          id="new-password"
          label={t('password.new')}
          type="password"
          autoComplete="new-password"
          required
          minLength={MIN_LENGTH}
          value={next}
          hint={t('password.hint', { min: MIN_LENGTH })}
          error={(touched && problems.next) || (tooWeak && t('password.weak'))}
          errorInHint
          onChange={(e) => setNext(e.target.value)}
        />
        <TextField
          id="repeat-password"
          label={t('password.repeat')}
          type="password"
          autoComplete="new-password"
          required
          value={repeat}
          error={touched && problems.repeat}
          onChange={(e) => setRepeat(e.target.value)}
        />
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
            void navigate('/login', { replace: true });
          }}
        >
          {t('nav.signOut')}
        </button>
      ) : (
        <button type="button" className="btn btn-ghost btn-block" onClick={() => navigate(-1)}>
          {t('common.cancel')}
        </button>
      )}
    </AuthCard>
  );
}
