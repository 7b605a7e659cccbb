// The project's webhook receiver over real HTTP: it keeps and prints Alertmanager's payloads
// (version 4), serves them back, and refuses what is not one, or too large. The real
// Alertmanager posting to it is in test/integration/drill.test.ts.
import { expect } from 'chai';
import { formatNotification, MAX_PAYLOAD_BYTES, startWebhookReceiver, type WebhookReceiver } from '../../lib/webhook-receiver.ts';

const payload = {
  version: '4',
  groupKey: '{}/{severity="critical"}:{alertname="RedlineAvailabilityErrorBudgetBurn", slo="availability"}',
  status: 'firing',
  receiver: 'page',
  groupLabels: { alertname: 'RedlineAvailabilityErrorBudgetBurn', slo: 'availability' },
  commonLabels: { alertname: 'RedlineAvailabilityErrorBudgetBurn', severity: 'critical' },
  commonAnnotations: {},
  externalURL: 'http://127.0.0.1:9093',
  alerts: [
    {
      status: 'firing',
      labels: { alertname: 'RedlineAvailabilityErrorBudgetBurn', severity: 'critical', slo: 'availability', job: 'redline' },
      annotations: { summary: 'redline in local: 6.67% of requests failing', runbook_url: 'https://example.com/runbook#x' },
      startsAt: '2026-01-01T00:00:00Z',
      endsAt: '0001-01-01T00:00:00Z',
      fingerprint: 'abc',
    },
  ],
};

describe('webhook receiver', function () {
  let receiver: WebhookReceiver;
  const printed: string[] = [];
  beforeEach(async () => {
    printed.length = 0;
    receiver = await startWebhookReceiver({ print: (text) => printed.push(text) });
  });
  afterEach(() => receiver.stop());

  const post = (path: string, body: string) =>
    fetch(`${receiver.url}${path}`, { method: 'POST', body, headers: { 'content-type': 'application/json' } });

  it('keeps a payload under the receiver its path names, prints it, and serves it back', async function () {
    expect((await post('/page', JSON.stringify(payload))).status).to.equal(200);
    const kept = (await (await fetch(`${receiver.url}/notifications`)).json()) as { receiver: string; payload: typeof payload }[];
    expect(kept).to.have.length(1);
    expect(kept[0]!.receiver).to.equal('page');
    expect(kept[0]!.payload).to.deep.equal(payload);
    expect(printed).to.have.length(1);
    expect(printed[0]).to.match(/^\[page\] FIRING RedlineAvailabilityErrorBudgetBurn \(1 alert\(s\), /);
    expect(printed[0]).to.include('summary: redline in local: 6.67% of requests failing');
    expect(printed[0]).to.include('runbook_url: https://example.com/runbook#x');
    expect(printed[0]).to.include('severity="critical"').and.not.include('alertname="');
  });

  it('refuses bodies that are not JSON, not an Alertmanager payload, or too large; unknown paths are 404', async function () {
    expect((await post('/page', 'not json')).status).to.equal(400);
    expect((await post('/page', JSON.stringify({ status: 'firing' }))).status).to.equal(400);
    expect((await post('/page', JSON.stringify({ ...payload, alerts: [null] }))).status).to.equal(400);
    const large = await post('/page', JSON.stringify({ ...payload, pad: 'x'.repeat(MAX_PAYLOAD_BYTES) })).catch(() => undefined);
    expect(large === undefined || large.status === 413).to.equal(true);
    expect((await post('/a/b', JSON.stringify(payload))).status).to.equal(404);
    expect((await fetch(`${receiver.url}/page`)).status).to.equal(404);
    expect(receiver.notifications).to.deep.equal([]);
  });

  it('formats a resolved notification as RESOLVED', function () {
    const text = formatNotification({
      receiver: 'page',
      receivedAt: '2026-01-01T00:00:00Z',
      payload: { ...payload, status: 'resolved', alerts: [{ ...payload.alerts[0]!, status: 'resolved' }] } as never,
    });
    expect(text.split('\n')[0]).to.equal('[page] RESOLVED RedlineAvailabilityErrorBudgetBurn (1 alert(s), 2026-01-01T00:00:00Z)');
    expect(text).to.include('  resolved {');
  });
});
