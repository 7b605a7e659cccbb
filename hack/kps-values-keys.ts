// Writes k8s/kube-prometheus-stack-values-keys.json: the key tree of the pinned
// kube-prometheus-stack chart's values (and its subcharts'), so the kind values can be checked
// for misspelt keys where the chart cannot be had. Needs the chart (local or pulled).
import { writeFile } from 'node:fs/promises';
import { kpsChart, kpsValuesKeys, kpsValuesKeysFile } from '../scripts/lib/kube-prometheus-stack.ts';

const keys = await kpsValuesKeys(kpsChart());
await writeFile(kpsValuesKeysFile, `${JSON.stringify(keys, null, 1)}\n`);
console.log(`kps-values-keys: wrote ${kpsValuesKeysFile} (${keys.chart} ${keys.version})`);
