/** A small hash router: `#/fleet`, `#/tasks`, `#/tasks/<id>`, `#/chat`, `#/audit`. */
import { useSyncExternalStore } from 'react';

export type Route =
  | { name: 'fleet' }
  | { name: 'tasks' }
  | { name: 'task'; taskId: string }
  | { name: 'chat' }
  | { name: 'audit' }
  | { name: 'not-found'; path: string };

export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#/, '').replace(/\/+$/, '');
  if (path === '' || path === '/' || path === '/fleet') return { name: 'fleet' };
  if (path === '/tasks') return { name: 'tasks' };
  const task = /^\/tasks\/([^/]+)$/.exec(path);
  if (task?.[1] !== undefined) {
    let id = task[1];
    try {
      id = decodeURIComponent(id);
    } catch {
      // keep it as written
    }
    return { name: 'task', taskId: id };
  }
  if (path === '/chat') return { name: 'chat' };
  if (path === '/audit') return { name: 'audit' };
  return { name: 'not-found', path };
}

export function taskHref(taskId: string): string {
  return `#/tasks/${encodeURIComponent(taskId)}`;
}

export function navigate(hash: string): void {
  window.location.hash = hash.replace(/^#/, '');
}

function subscribe(onChange: () => void): () => void {
  window.addEventListener('hashchange', onChange);
  return () => window.removeEventListener('hashchange', onChange);
}

export function useRoute(): Route {
  const hash = useSyncExternalStore(subscribe, () => window.location.hash);
  return parseRoute(hash);
}
