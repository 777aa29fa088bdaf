import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { LanguageSwitch } from './LanguageSwitch';

/** The card of the screens outside the menu (sign-in, the password change): logo, content, language switch. */
export function AuthCard({ children }: { children: ReactNode }) {
  const { t } = useTranslation();
  return (
    <main className="auth-page" id="main">
      <div className="auth-card">
        <div className="auth-brand">
          <span className="brand-mark" aria-hidden="true">
            B
          </span>
          <span>
            Bebsy <span className="brand-sub">{t('app.product')}</span>
          </span>
        </div>
        {children}
        <LanguageSwitch />
      </div>
    </main>
  );
}
