// Vega-Lite specs rendered to SVG in Node: compiled by vega-lite, drawn by vega's headless View
// (no browser, no canvas). The bench plots and the local RED picture share it.
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

export type { TopLevelSpec };

export async function svgOf(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  return view.toSVG();
}
