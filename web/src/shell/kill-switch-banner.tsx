/** Shown on every page while the fleet-wide kill switch is on. */
import { useStatus } from '../api/queries.js';
import { formatRelative } from '../lib/format.js';

export function KillSwitchBanner() {
  const status = useStatus();
  const ks = status.data?.killSwitch;
  if (ks?.on !== true) return null;
  const by = ks.changedBy ?? ks.actor ?? null;
  return (
    <div role="alert" className="banner-kill">
      <strong>Kill switch is ON</strong>: no new work starts and running tasks are stopped.{' '}
      <span>Reason: {ks.reason === null || ks.reason === '' ? 'none given' : ks.reason}</span>
      {by !== null && <span> (by {by}</span>}
      {by !== null && ks.changedAt !== null && <span>, {formatRelative(ks.changedAt, Date.now())}</span>}
      {by !== null && <span>)</span>}
    </div>
  );
}
