import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { lacksRejectionReason } from '../../../domain/referral-status';

/** The reason field for a rejection (required), with confirm and cancel. Escape cancels. */
export function RejectForm({
  onConfirm,
  onCancel,
  busy,
  confirmLabel,
}: {
  onConfirm: (reason: string) => void;
  onCancel: () => void;
  busy?: boolean;
  confirmLabel?: string;
}) {
  const { t } = useTranslation();
  const id = useId();
  const [reason, setReason] = useState('');
  const [touched, setTouched] = useState(false);
  const field = useRef<HTMLTextAreaElement>(null);
  useEffect(() => field.current?.focus(), []);
  const missing = lacksRejectionReason('rejected', reason);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setTouched(true);
    if (!missing) onConfirm(reason.trim());
  };

  return (
    <form className="reject-form" onSubmit={submit} noValidate onKeyDown={(e) => e.key === 'Escape' && (e.stopPropagation(), onCancel())}>
      <div className="field">
        <label htmlFor={id}>{t('review.reason')}</label>
        <textarea
          id={id}
          ref={field}
          rows={2}
          maxLength={500}
          value={reason}
          required
          aria-invalid={(touched && missing) || undefined}
          aria-describedby={`${id}-hint`}
          onChange={(e) => setReason(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) submit(e);
          }}
        />
        <p className="field-hint" id={`${id}-hint`}>
          {touched && missing ? <span className="field-error">{t('errors.reasonRequired')}</span> : t('review.reasonHint')}
        </p>
      </div>
      <div className="button-row">
        <button type="submit" className="btn btn-danger" disabled={busy}>
          {busy ? t('common.saving') : (confirmLabel ?? t('review.confirmReject'))}
        </button>
        <button type="button" className="btn btn-ghost" onClick={onCancel} disabled={busy}>
          {t('common.cancel')}
        </button>
      </div>
    </form>
  );
}
