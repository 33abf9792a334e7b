/** The fleet at a glance: totals, spend per hour, nodes and the kill switch. */
import { useStatus } from '../../api/queries.js';
import { FleetTotals } from './fleet-totals.js';
import { KillSwitchControl } from './kill-switch-control.js';
import { NodesTable } from './nodes-table.js';
import { SpendChart } from './spend-chart.js';

export function FleetView() {
  const status = useStatus();
  return (
    <section aria-labelledby="fleet-heading">
      <div className="view-head">
        <h1 id="fleet-heading">Fleet</h1>
        <KillSwitchControl on={status.data?.killSwitch.on ?? false} />
      </div>
      {status.isError && (
        <p className="error" role="alert">
          Could not load the fleet status: {status.error.message}
        </p>
      )}
      {status.data !== undefined && <FleetTotals status={status.data} />}
      {status.data !== undefined && <p className="muted">HQ version {status.data.version}</p>}
      <SpendChart />
      <NodesTable />
    </section>
  );
}
