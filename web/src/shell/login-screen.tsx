/** Paste an API token; it is checked with `GET /api/v1/status` before it is kept. */
import { useState, type FormEvent } from 'react';
import { ApiError, apiFetch, setToken } from '../api/client.js';
import type { StatusDto } from '../api/types.js';

export function loginErrorMessage(err: unknown): string {
  if (err instanceof ApiError) {
    if (err.status === 401) return `That token was not accepted: ${err.message}`;
    if (err.status === 403) return `That token may not read the fleet status: ${err.message}`;
    if (err.status === 0) return err.message;
    return `Login failed (${err.code}): ${err.message}`;
  }
  return `Login failed: ${err instanceof Error ? err.message : String(err)}`;
}

export function LoginScreen() {
  const [value, setValue] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    const token = value.trim();
    if (token === '') {
      setError('Paste an API token first.');
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await apiFetch<StatusDto>('/api/v1/status', { token });
      setToken(token);
    } catch (err) {
      setError(loginErrorMessage(err));
      setBusy(false);
    }
  };

  return (
    <main className="login">
      <h1>Cortical</h1>
      <form onSubmit={(e) => void submit(e)} className="card" aria-describedby="login-help">
        <p id="login-help">
          Paste an API token (<code>cortical up</code> writes the admin token to <code>admin.token</code> in the data
          directory; <code>POST /api/v1/tokens</code> makes more). It is kept in this browser tab only.
        </p>
        <label htmlFor="api-token">API token</label>
        <input
          id="api-token"
          type="password"
          autoComplete="off"
          spellCheck={false}
          value={value}
          onChange={(e) => setValue(e.target.value)}
          aria-invalid={error !== null}
          aria-describedby={error !== null ? 'login-error' : undefined}
        />
        <button type="submit" disabled={busy}>
          Log in
        </button>
        {error !== null && (
          <p id="login-error" role="alert" className="error">
            {error}
          </p>
        )}
      </form>
    </main>
  );
}
