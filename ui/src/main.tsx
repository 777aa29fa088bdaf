import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { BrowserRouter } from 'react-router';
import { fetchConfig, shouldRetry } from './api/queries';
import { App } from './App';
import './i18n';
import { startObservability } from './observability/faro-bridge';
import './styles.css';

const queryClient = new QueryClient({
  defaultOptions: {
    queries: { retry: shouldRetry, staleTime: 10_000, refetchOnWindowFocus: true },
    mutations: { retry: false },
  },
});

// Runtime config first (public); Faro starts only when it names a collector.
void queryClient.fetchQuery({ queryKey: ['config'], queryFn: fetchConfig, staleTime: Infinity }).then(startObservability);

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <QueryClientProvider client={queryClient}>
      <BrowserRouter>
        <App />
      </BrowserRouter>
    </QueryClientProvider>
  </StrictMode>,
);
