import type { CSSProperties, ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { UNDO_MS } from '../lib/undo';

/** "#12 goedgekeurd — Ongedaan maken" at the bottom of the screen, with a bar running down the undo window. */
export function UndoToast({ children, onUndo }: { children: ReactNode; onUndo: () => void }) {
  const { t } = useTranslation();
  return (
    <div className="toast" role="status" data-testid="undo-toast" style={{ '--toast-ms': `${UNDO_MS}ms` } as CSSProperties}>
      <span>{children}</span>
      <button type="button" className="btn btn-small" onClick={onUndo} aria-keyshortcuts="z">
        {t('review.undo')} <kbd aria-hidden="true">z</kbd>
      </button>
    </div>
  );
}
