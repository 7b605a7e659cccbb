// The alerts line under make local's RED table.
import { expect } from 'chai';
import type { Alert } from '../../lib/prometheus-api.ts';
import { formatAlertsLine } from '../../lib/red-summary.ts';

const alert = (state: Alert['state'], labels: Record<string, string>): Alert => ({
  state,
  labels: { namespace: 'local', job: 'redline', ...labels },
  annotations: {},
  activeAt: '2026-01-01T00:00:00Z',
  value: '0.1',
});

describe('formatAlertsLine', function () {
  it('says none when no Redline alert of this namespace and job is pending or firing', function () {
    expect(formatAlertsLine([], 'local', 'redline')).to.equal('alerts: none pending or firing');
    const others = [alert('firing', { alertname: 'Watchdog' }), alert('firing', { alertname: 'RedlineTargetDown', job: 'other' })];
    expect(formatAlertsLine(others, 'local', 'redline')).to.equal('alerts: none pending or firing');
  });

  it('lists firing alerts first, each with its SLO, severity and windows', function () {
    const line = formatAlertsLine(
      [
        alert('pending', {
          alertname: 'RedlineLatencyErrorBudgetBurn',
          slo: 'latency',
          severity: 'warning',
          long_window: '1d',
          short_window: '2h',
        }),
        alert('firing', {
          alertname: 'RedlineAvailabilityErrorBudgetBurn',
          slo: 'availability',
          severity: 'critical',
          long_window: '1h',
          short_window: '5m',
        }),
        alert('firing', { alertname: 'RedlineTargetDown', severity: 'critical' }),
      ],
      'local',
      'redline',
    );
    expect(line).to.equal(
      'alerts: firing RedlineAvailabilityErrorBudgetBurn (slo=availability, critical, 1h/5m); firing RedlineTargetDown (critical); pending RedlineLatencyErrorBudgetBurn (slo=latency, warning, 1d/2h)',
    );
  });
});
