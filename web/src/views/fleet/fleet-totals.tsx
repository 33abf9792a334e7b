import type { StatusDto } from '../../api/types.js';
import { fleetTotals } from './fleet-model.js';

export function FleetTotals({ status }: { status: StatusDto }) {
  return (
    <dl className="totals" aria-label="Fleet totals">
      {fleetTotals(status).map((t) => (
        <div key={t.label} className="total">
          <dt>{t.label}</dt>
          <dd>{t.value}</dd>
        </div>
      ))}
    </dl>
  );
}
