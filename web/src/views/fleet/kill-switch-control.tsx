/** The "Kill switch" button and its confirmation dialog (`PUT /api/v1/killswitch {on, reason}`). */
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useEffect, useId, useRef, useState, type FormEvent, type KeyboardEvent } from 'react';
import { apiFetch } from '../../api/client.js';
import { STATUS_KEY } from '../../api/queries.js';
import type { KillSwitchDto } from '../../api/types.js';

export function KillSwitchControl({ on }: { on: boolean }) {
  const [open, setOpen] = useState(false);
  const [reason, setReason] = useState('');
  const trigger = useRef<HTMLButtonElement>(null);
  const first = useRef<HTMLInputElement>(null);
  const confirm = useRef<HTMLButtonElement>(null);
  const qc = useQueryClient();
  const titleId = useId();
  const reasonId = useId();
  const put = useMutation({
    mutationFn: (body: { on: boolean; reason: string | null }) =>
      apiFetch<KillSwitchDto>('/api/v1/killswitch', { method: 'PUT', json: body }),
    onSuccess: async () => {
      setOpen(false);
      setReason('');
      trigger.current?.focus();
      await qc.invalidateQueries({ queryKey: STATUS_KEY });
    },
  });

  useEffect(() => {
    if (!open) return;
    (on ? confirm.current : first.current)?.focus();
  }, [open, on]);

  const close = (): void => {
    setOpen(false);
    put.reset();
    trigger.current?.focus();
  };
  const submit = (e: FormEvent): void => {
    e.preventDefault();
    const r = reason.trim();
    put.mutate({ on: !on, reason: on || r === '' ? null : r });
  };
  const onKey = (e: KeyboardEvent<HTMLDivElement>): void => {
    if (e.key === 'Escape') {
      e.stopPropagation();
      close();
      return;
    }
    if (e.key !== 'Tab') return;
    // Keep keyboard focus inside the modal dialog.
    const focusable = [...e.currentTarget.querySelectorAll<HTMLElement>('input, button:not([disabled])')];
    const firstEl = focusable[0];
    const lastEl = focusable[focusable.length - 1];
    if (firstEl === undefined || lastEl === undefined) return;
    if (e.shiftKey && document.activeElement === firstEl) {
      e.preventDefault();
      lastEl.focus();
    } else if (!e.shiftKey && document.activeElement === lastEl) {
      e.preventDefault();
      firstEl.focus();
    }
  };

  return (
    <>
      <button ref={trigger} type="button" className={on ? 'secondary' : 'danger'} aria-haspopup="dialog" onClick={() => setOpen(true)}>
        Kill switch
      </button>
      {open && (
        <div className="backdrop">
          <div role="dialog" aria-modal="true" aria-labelledby={titleId} className="dialog card" onKeyDown={onKey}>
            <form onSubmit={submit}>
              <h2 id={titleId}>{on ? 'Turn the kill switch off?' : 'Turn the kill switch on?'}</h2>
              {on ? (
                <p>Nodes may start work again; tasks that were stopped stay stopped.</p>
              ) : (
                <>
                  <p>Every node stops its running tasks and no new work starts until it is turned off.</p>
                  <label htmlFor={reasonId}>Reason (optional)</label>
                  <input id={reasonId} ref={first} value={reason} maxLength={500} onChange={(e) => setReason(e.target.value)} />
                </>
              )}
              {put.isError && (
                <p className="error" role="alert">
                  {put.error.message}
                </p>
              )}
              <div className="actions">
                <button ref={confirm} type="submit" className={on ? undefined : 'danger'} disabled={put.isPending}>
                  {on ? 'Turn off' : 'Turn on'}
                </button>
                <button type="button" className="secondary" onClick={close}>
                  Cancel
                </button>
              </div>
            </form>
          </div>
        </div>
      )}
    </>
  );
}
