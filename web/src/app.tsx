/** The dashboard shell: login, navigation, the kill-switch banner and the hash routes. */
import { QueryClient, QueryClientProvider, useQueryClient } from '@tanstack/react-query';
import { useEffect, useSyncExternalStore } from 'react';
import { ApiError, clearToken, getToken, onTokenChange } from './api/client.js';
import { useRoute, type Route } from './lib/router.js';
import { KillSwitchBanner } from './shell/kill-switch-banner.js';
import { LoginScreen } from './shell/login-screen.js';
import { AuditView } from './views/audit/audit-view.js';
import { ChatView } from './views/chat/chat-view.js';
import { FleetView } from './views/fleet/fleet-view.js';
import { TaskView } from './views/task/task-view.js';
import { TasksView } from './views/tasks/tasks-view.js';

export function createQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        // Client errors (bad filter, unknown id, no permission) do not get better by retrying.
        retry: (count, err) => !(err instanceof ApiError && err.status >= 400 && err.status < 500) && count < 2,
        staleTime: 1_000,
      },
    },
  });
}

const NAV: { name: Route['name']; href: string; label: string }[] = [
  { name: 'fleet', href: '#/fleet', label: 'Fleet' },
  { name: 'tasks', href: '#/tasks', label: 'Tasks' },
  { name: 'chat', href: '#/chat', label: 'Chat' },
  { name: 'audit', href: '#/audit', label: 'Audit' },
];

function RouteView({ route }: { route: Route }) {
  switch (route.name) {
    case 'fleet':
      return <FleetView />;
    case 'tasks':
      return <TasksView />;
    case 'task':
      return <TaskView key={route.taskId} taskId={route.taskId} />;
    case 'chat':
      return <ChatView />;
    case 'audit':
      return <AuditView />;
    case 'not-found':
      return (
        <section>
          <h1>Not found</h1>
          <p>
            There is no page at <code>{route.path}</code>. <a href="#/fleet">Go to the fleet</a>.
          </p>
        </section>
      );
  }
}

function Shell() {
  const route = useRoute();
  const active = route.name === 'task' ? 'tasks' : route.name;
  const logout = (): void => {
    clearToken();
  };
  return (
    <div className="shell">
      <header className="topbar">
        <a className="brand" href="#/fleet">
          Cortical
        </a>
        <nav aria-label="Main">
          <ul>
            {NAV.map((n) => (
              <li key={n.name}>
                <a href={n.href} aria-current={active === n.name ? 'page' : undefined}>
                  {n.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <button type="button" className="secondary" onClick={logout}>
          Log out
        </button>
      </header>
      <KillSwitchBanner />
      <main className="content">
        <RouteView route={route} />
      </main>
    </div>
  );
}

function useToken(): string | null {
  return useSyncExternalStore(onTokenChange, getToken);
}

function Gate() {
  const token = useToken();
  const qc = useQueryClient();
  useEffect(() => {
    // A logout or a 401 drops everything read with the old token.
    if (token === null) qc.clear();
  }, [token, qc]);
  return token === null ? <LoginScreen /> : <Shell />;
}

export function App({ client }: { client?: QueryClient }) {
  const qc = client ?? defaultClient();
  return (
    <QueryClientProvider client={qc}>
      <Gate />
    </QueryClientProvider>
  );
}

let shared: QueryClient | null = null;
function defaultClient(): QueryClient {
  shared ??= createQueryClient();
  return shared;
}
