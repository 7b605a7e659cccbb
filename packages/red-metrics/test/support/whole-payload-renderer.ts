// The /metrics renderer as it was before the body was streamed (commit 5e82f84): every format
// built whole, then handed over. Kept only as the reference the streamed output must equal byte
// for byte. Protobuf here has protobufjs encode each family redline renders in ONE message of
// all its series, from plain objects (reference-proto-metrics.ts), so the streamed family (a
// header, then series encoded by redline's own writer) is checked against protobufjs.
import { fileURLToPath } from 'node:url';
import { Registry, type RegistryContentType } from 'prom-client';
import protobuf from 'protobufjs';
import { renderContext } from '../../src/endpoint.ts';
import { expositionOf, type TextFormat, TextWriter } from '../../src/exposition.ts';
import { encodePromClientFamily, type RegistryMetric } from '../../src/protobuf.ts';
import { referenceMetrics } from './reference-proto-metrics.ts';

const root = protobuf.loadSync(fileURLToPath(new URL('../../src/proto/metrics.proto', import.meta.url)));
const MetricFamily = root.lookupType('io.prometheus.client.MetricFamily');
const TYPES: Record<string, number> = { counter: 0, histogram: 4 };

export async function wholePayload(registry: Registry<RegistryContentType>, format: TextFormat | 'protobuf'): Promise<Buffer> {
  const context = await renderContext(registry);
  const metrics = registry.getMetricsAsArray() as unknown as RegistryMetric[];
  if (format === 'protobuf') {
    const chunks: Uint8Array[] = [];
    for (const metric of metrics) {
      const exposition = expositionOf(metric);
      if (!exposition) {
        chunks.push(await encodePromClientFamily(metric));
        continue;
      }
      exposition.prepareRead();
      const family = {
        name: exposition.name,
        help: exposition.help,
        type: TYPES[exposition.type],
        metric: referenceMetrics(exposition, context),
      };
      chunks.push(MetricFamily.encodeDelimited(family).finish());
    }
    return Buffer.concat(chunks);
  }
  const openMetrics = format === 'openmetrics';
  const names = metrics.map((metric) => metric.name);
  if (openMetrics) registry.setContentType(Registry.OPENMETRICS_CONTENT_TYPE as never);
  try {
    const parts: string[] = [];
    for (const [index, metric] of metrics.entries()) {
      const exposition = expositionOf(metric);
      if (exposition) {
        exposition.prepareRead();
        const writer = new TextWriter();
        exposition.writeText(writer, format, 0, exposition.seriesCount, context);
        parts.push(exposition.header(format) + writer.take());
        continue;
      }
      if (openMetrics && metric.type === 'counter') metric.name = metric.name.replace(/_total$/, '');
      parts.push(await registry.getSingleMetricAsString(names[index]!));
    }
    return Buffer.from(openMetrics ? `${parts.join('\n')}\n# EOF\n` : `${parts.join('\n\n')}\n`);
  } finally {
    if (openMetrics) registry.setContentType(Registry.PROMETHEUS_CONTENT_TYPE as never);
    for (const [index, metric] of metrics.entries()) metric.name = names[index]!;
  }
}
