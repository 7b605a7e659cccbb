// Kubernetes label selectors, as the Prometheus operator applies them to ServiceMonitors and
// PrometheusRules, and the sentence smoke prints when one does not select redline's object.

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

export function matches(selector: LabelSelector | undefined, labels: Record<string, string> = {}): boolean {
  // The operator reads a missing selector as "nothing" and {} as "everything".
  if (!selector) return false;
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    if (labels[key] !== value) return false;
  }
  for (const { key, operator, values = [] } of selector.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, key);
    const ok =
      operator === 'In'
        ? has && values.includes(labels[key]!)
        : operator === 'NotIn'
          ? !has || !values.includes(labels[key]!)
          : operator === 'Exists'
            ? has
            : operator === 'DoesNotExist'
              ? !has
              : false;
    if (!ok) return false;
  }
  return true;
}

/** "release=kps" style, for messages. */
export function describeSelector(selector: LabelSelector | undefined): string {
  if (!selector) return 'nothing (no selector)';
  const parts = [
    ...Object.entries(selector.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`),
    ...(selector.matchExpressions ?? []).map(({ key, operator, values = [] }) =>
      operator === 'Exists' ? key : operator === 'DoesNotExist' ? `!${key}` : `${key} ${operator.toLowerCase()} (${values.join(',')})`,
    ),
  ];
  return parts.length ? parts.join(',') : 'everything';
}

/** The labels the selector looks at, as the object has them: "release=foo", "no release label". */
function describeRelevantLabels(selector: LabelSelector, labels: Record<string, string>): string {
  const keys = [...Object.keys(selector.matchLabels ?? {}), ...(selector.matchExpressions ?? []).map((e) => e.key)];
  return [...new Set(keys)].map((k) => (Object.hasOwn(labels, k) ? `${k}=${labels[k]}` : `no ${k} label`)).join(',');
}

export interface SelectedObject {
  kind: 'ServiceMonitor' | 'PrometheusRule';
  namespace: string;
  name: string;
  labels: Record<string, string>;
  namespaceLabels: Record<string, string>;
}

export interface PrometheusSelectors {
  name: string;
  selector?: LabelSelector;
  namespaceSelector?: LabelSelector;
}

/**
 * Why Prometheus does not pick the object up, or undefined when it does.
 * A missing namespace selector means "Prometheus' own namespace only" for the operator.
 */
export function notSelectedReason(prometheus: PrometheusSelectors & { namespace: string }, object: SelectedObject): string | undefined {
  const { selector, namespaceSelector } = prometheus;
  const where = `${object.kind} ${object.namespace}/${object.name}`;
  if (!matches(selector, object.labels)) {
    if (!selector) return `${object.kind} not selected: Prometheus ${prometheus.name} has no ${object.kind} selector`;
    return `${object.kind} not selected: Prometheus selects ${describeSelector(selector)}, ${where} has ${describeRelevantLabels(selector, object.labels)}`;
  }
  const namespaceOk = namespaceSelector ? matches(namespaceSelector, object.namespaceLabels) : object.namespace === prometheus.namespace;
  if (!namespaceOk) {
    const wanted = namespaceSelector
      ? `namespaces with ${describeSelector(namespaceSelector)}`
      : `only its own namespace ${prometheus.namespace}`;
    return `${object.kind} not selected: Prometheus ${prometheus.name} watches ${wanted}, ${where} is outside it`;
  }
  return undefined;
}
