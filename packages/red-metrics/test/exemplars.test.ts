// Exemplars: which requests carry a trace, how a native histogram keeps them (against a
// reference of client_golang's nativeExemplars), and how each format shows them.
import { AsyncLocalStorage } from 'node:async_hooks';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import * as otel from '@opentelemetry/api';
import { expect } from 'chai';
import Koa from 'koa';
import { Registry } from 'prom-client';
import { serialRenderer } from '../src/endpoint.ts';
import { addNativeExemplar, exemplarOf, type NativeExemplar } from '../src/exemplars.ts';
import { decodeProtobuf, RedMetrics, redMiddleware } from '../src/koa.ts';
import { sampledTraceparent } from '../src/trace-context.ts';
import { referenceAddExemplar } from './support/reference-native-exemplars.ts';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN = '00f067aa0ba902b7';

describe('metrics/exemplars: trace context', () => {
  it('takes the trace of a sampled traceparent only', () => {
    expect(sampledTraceparent(`00-${TRACE}-${SPAN}-01`)).to.deep.equal({ traceId: TRACE, spanId: SPAN });
    expect(sampledTraceparent(`00-${TRACE}-${SPAN}-03`)).to.deep.equal({ traceId: TRACE, spanId: SPAN });
    expect(sampledTraceparent(`00-${TRACE}-${SPAN}-00`), 'not sampled').to.equal(undefined);
    expect(sampledTraceparent(`00-${'0'.repeat(32)}-${SPAN}-01`), 'zero trace id').to.equal(undefined);
    expect(sampledTraceparent(`00-${TRACE}-${'0'.repeat(16)}-01`), 'zero span id').to.equal(undefined);
    expect(sampledTraceparent(`00-${TRACE.toUpperCase()}-${SPAN}-01`), 'upper case').to.equal(undefined);
    expect(sampledTraceparent(`ff-${TRACE}-${SPAN}-01`), 'version ff').to.equal(undefined);
    expect(sampledTraceparent(`00-${TRACE}-${SPAN}-01-extra`), 'version 00 has no more fields').to.equal(undefined);
    expect(sampledTraceparent(`01-${TRACE}-${SPAN}-01-extra`), 'a later version may').to.deep.equal({ traceId: TRACE, spanId: SPAN });
    expect(sampledTraceparent(`00-${TRACE}-${SPAN}`)).to.equal(undefined);
    expect(sampledTraceparent(undefined)).to.equal(undefined);
  });
});

describe('metrics/exemplars: native histogram exemplars, as client_golang keeps them', () => {
  it('matches the reference over generated sequences: bounded, expiring, the closest pair replaced', () => {
    let seed = 5;
    const random = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
    for (const capacity of [1, 2, 3, 10]) {
      for (const ttl of [1_000, 300_000]) {
        const kept: NativeExemplar[] = [];
        let expected: { value: number; at: number; id: string }[] = [];
        let at = 0;
        for (let i = 0; i < 2000; i += 1) {
          at += Math.floor(random() * 200);
          const value = random() < 0.1 ? 0.05 : 10 ** (random() * 4 - 3);
          const id = String(i);
          addNativeExemplar(kept, exemplarOf(id, id, value, at), capacity, ttl);
          expected = referenceAddExemplar(expected, { value, at, id }, capacity, ttl);
          expect(
            kept.map((e) => e.traceId),
            `capacity ${capacity}, ttl ${ttl}, step ${i}`,
          ).to.deep.equal(expected.map((e) => e.id));
        }
        expect(kept.length).to.equal(capacity);
      }
    }
  });
});

describe('metrics/exemplars: exposition', () => {
  function traced() {
    const registry = new Registry();
    const metrics = new RedMetrics(registry, { nativeHistograms: true });
    metrics.observe('GET', '/a', 200, 0.03, false); // no trace: no exemplar
    metrics.observe('GET', '/a', 200, 0.07, false, { traceId: TRACE, spanId: SPAN });
    metrics.observe('GET', '/a', 200, 20, false, { traceId: TRACE.replace('4', '5'), spanId: SPAN });
    return { registry };
  }

  it('shows them in OpenMetrics on the counter and on the bucket of each value, not in the text format', async () => {
    const { registry } = traced();
    const render = serialRenderer(registry);
    const text = (await render('text')).body as string;
    expect(text).not.to.include('trace_id');
    const openMetrics = (await render('openmetrics')).body as string;
    const line = (start: string) => openMetrics.split('\n').find((l) => l.startsWith(start))!;
    expect(line('http_requests_total{method="GET"')).to.match(
      new RegExp(`} 3 # \\{trace_id="${TRACE.replace('4', '5')}",span_id="${SPAN}"\\} 1 \\d{10}\\.?\\d*$`),
    );
    expect(line('http_request_duration_seconds_bucket{le="0.075"')).to.match(
      new RegExp(`} 2 # \\{trace_id="${TRACE}",span_id="${SPAN}"\\} 0.07 \\d+`),
    );
    expect(line('http_request_duration_seconds_bucket{le="0.05"')).not.to.include('#');
    expect(line('http_request_duration_seconds_bucket{le="+Inf"')).to.include(`trace_id="${TRACE.replace('4', '5')}"`);
  });

  it('carries them in protobuf: classic buckets (+Inf made explicit), the counter, and the native histogram with timestamps', async () => {
    const { registry } = traced();
    const families = decodeProtobuf((await serialRenderer(registry)('protobuf')).body as Uint8Array);
    const counter = families.find((f) => f.name === 'http_requests_total')!.metric[0]!.counter!;
    expect(counter.exemplar?.label).to.deep.equal([
      { name: 'trace_id', value: TRACE.replace('4', '5') },
      { name: 'span_id', value: SPAN },
    ]);
    const histogram = families.find((f) => f.name === 'http_request_duration_seconds')!.metric[0]!.histogram!;
    const withExemplar = histogram.bucket.filter((b) => b.exemplar);
    expect(withExemplar.map((b) => b.upperBound)).to.deep.equal([0.075, Number.POSITIVE_INFINITY]);
    expect(histogram.bucket.at(-1)!.cumulativeCount).to.equal(3);
    expect(histogram.exemplars.map((e) => e.value)).to.deep.equal([0.07, 20]);
    for (const exemplar of histogram.exemplars) expect(exemplar.timestamp?.seconds).to.be.above(1_700_000_000);
  });
});

describe('metrics/exemplars: the active OpenTelemetry span', () => {
  /** The smallest context manager there is: AsyncLocalStorage, as OpenTelemetry's own. */
  class StorageContextManager implements otel.ContextManager {
    private readonly storage = new AsyncLocalStorage<otel.Context>();
    active(): otel.Context {
      return this.storage.getStore() ?? otel.ROOT_CONTEXT;
    }
    with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(
      context: otel.Context,
      fn: F,
      thisArg?: ThisParameterType<F>,
      ...args: A
    ) {
      return this.storage.run(context, () => fn.call(thisArg, ...args));
    }
    bind<T>(_context: otel.Context, target: T): T {
      return target;
    }
    enable(): this {
      return this;
    }
    disable(): this {
      return this;
    }
  }

  after(() => {
    otel.trace.disable();
    otel.context.disable();
  });

  it('takes the trace of a sampled span when the request has no traceparent, once an SDK is registered', async () => {
    const registry = new Registry();
    const metrics = new RedMetrics(registry);
    const app = new Koa();
    const sampled = { traceId: TRACE, spanId: SPAN, traceFlags: otel.TraceFlags.SAMPLED };
    app.use((_ctx, next) => otel.context.with(otel.trace.setSpanContext(otel.context.active(), sampled), next));
    app.use(redMiddleware(metrics, { routeOf: () => '/traced' }));
    app.use((ctx) => {
      ctx.body = 'ok';
    });
    otel.context.setGlobalContextManager(new StorageContextManager());
    otel.trace.setGlobalTracerProvider({ getTracer: () => otel.trace.getTracer('unused') } as otel.TracerProvider);
    const server = createServer(app.callback());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
      await (await fetch(url)).text();
      await sleep(50); // the response's close event
      const openMetrics = (await serialRenderer(registry)('openmetrics')).body as string;
      expect(openMetrics).to.match(
        new RegExp(
          `http_requests_total\\{method="GET",route="/traced",status_code="200"\\} 1 # \\{trace_id="${TRACE}",span_id="${SPAN}"\\} 1 `,
        ),
      );
    } finally {
      server.close();
    }
  });
});
