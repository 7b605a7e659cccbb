// The pure parts of smoke: label selectors as the operator reads them, durations, options.
import { expect } from 'chai';
import { describeSelector, matches, notSelectedReason } from '../../smoke/selectors.ts';
import { parseDuration } from '../../../service/src/duration.ts';
import { parseOptions } from '../../smoke/options.ts';
import { deadline, retryUntil } from '../../smoke/wait.ts';

describe('smoke: label selectors', function () {
  it('matchLabels and matchExpressions, {} selects all, a missing selector none', function () {
    expect(matches({}, {})).to.equal(true);
    expect(matches(undefined, { release: 'kps' })).to.equal(false);
    expect(matches({ matchLabels: { release: 'kps' } }, { release: 'kps', app: 'x' })).to.equal(true);
    expect(matches({ matchLabels: { release: 'kps' } }, { release: 'other' })).to.equal(false);
    const expr = (operator: string, values?: string[]) => ({
      matchExpressions: [{ key: 'team', operator, ...(values ? { values } : {}) }],
    });
    expect(matches(expr('In', ['a', 'b']), { team: 'b' })).to.equal(true);
    expect(matches(expr('In', ['a']), {})).to.equal(false);
    expect(matches(expr('NotIn', ['a']), {})).to.equal(true);
    expect(matches(expr('Exists'), { team: '' })).to.equal(true);
    expect(matches(expr('DoesNotExist'), { team: 'a' })).to.equal(false);
    expect(
      describeSelector({ matchLabels: { release: 'kps' }, matchExpressions: [{ key: 'team', operator: 'In', values: ['a'] }] }),
    ).to.equal('release=kps,team in (a)');
  });

  it('says which label is missing, and when the namespace is outside the watched ones', function () {
    const object = { kind: 'ServiceMonitor' as const, namespace: 'redline', name: 'redline', labels: {}, namespaceLabels: {} };
    const prometheus = { name: 'kps', namespace: 'monitoring', selector: { matchLabels: { release: 'kps' } } };
    expect(notSelectedReason(prometheus, object)).to.equal(
      'ServiceMonitor not selected: Prometheus selects release=kps, ServiceMonitor redline/redline has no release label',
    );
    // No namespace selector: the operator watches Prometheus' own namespace only.
    expect(notSelectedReason(prometheus, { ...object, labels: { release: 'kps' } })).to.equal(
      'ServiceMonitor not selected: Prometheus kps watches only its own namespace monitoring, ServiceMonitor redline/redline is outside it',
    );
    expect(notSelectedReason({ ...prometheus, namespaceSelector: {} }, { ...object, labels: { release: 'kps' } })).to.equal(undefined);
  });
});

describe('smoke: options and deadline', function () {
  it('parses durations and derives the scrape pool from namespace and job', function () {
    expect(parseDuration('5s')).to.equal(5_000);
    expect(parseDuration('1m30s')).to.equal(90_000);
    expect(parseDuration('250ms')).to.equal(250);
    expect(() => parseDuration('5 s')).to.throw(/not a duration/);
    const options = parseOptions(['--namespace', 'shop', '--job', 'api']);
    expect(options).to.include({ scrapePool: 'serviceMonitor/shop/api/0', intervalSeconds: 5, deadlineMs: 180_000, json: false });
    expect(() => parseOptions(['--prometheus-url', 'localhost:9090'])).to.throw(/must be an http\(s\) URL/);
    expect(() => parseOptions(['--bogus'])).to.throw();
  });

  it('retries until done or the deadline, and returns the last result', async function () {
    let calls = 0;
    const done = await retryUntil(
      async () => ++calls,
      (n) => n === 3,
      deadline(5_000),
      1,
    );
    expect(done).to.deep.equal({ result: 3, attempts: 3 });
    const started = Date.now();
    const late = await retryUntil(
      async () => false,
      (ok) => ok,
      deadline(150),
      20,
    );
    expect(late.result).to.equal(false);
    expect(Date.now() - started).to.be.within(140, 1_000);
    expect(late.attempts).to.be.greaterThan(2);
  });
});
