import { Component, type ErrorInfo, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { reportError } from '../observability/faro-bridge';

interface Props {
  children: ReactNode;
  /** Changing it clears a caught error (e.g. the location). */
  resetKey?: string;
}

interface State {
  error: Error | null;
}

/** Never a blank screen: a render error shows a message with a way out, and is reported. */
export class ErrorBoundary extends Component<Props, State> {
  state: State = { error: null };

  static getDerivedStateFromError(error: Error): State {
    return { error };
  }

  componentDidCatch(error: Error, info: ErrorInfo): void {
    reportError(error, { componentStack: info.componentStack ?? '' });
  }

  componentDidUpdate(previous: Props): void {
    if (this.state.error && previous.resetKey !== this.props.resetKey) this.setState({ error: null });
  }

  render() {
    if (this.state.error) return <Crashed error={this.state.error} onRetry={() => this.setState({ error: null })} />;
    return this.props.children;
  }
}

function Crashed({ error, onRetry }: { error: Error; onRetry: () => void }) {
  const { t } = useTranslation();
  // A chunk that no longer exists after a deploy: only a reload helps.
  const stale = /dynamically imported module|Importing a module script failed|Failed to fetch/i.test(error.message);
  return (
    <div className="state state-error crashed" role="alert" data-testid="error-boundary">
      <p className="state-title">{t('crash.title')}</p>
      <p>{stale ? t('crash.stale') : t('crash.text')}</p>
      <div className="button-row">
        <button type="button" className="btn btn-primary" onClick={() => window.location.reload()}>
          {t('crash.reload')}
        </button>
        {!stale && (
          <button type="button" className="btn btn-secondary" onClick={onRetry}>
            {t('common.retry')}
          </button>
        )}
      </div>
    </div>
  );
}
