// `make bench-profile`: runs a Koa + redline subject with --cpu-prof under saturating load
// and prints the functions with the most self time (what to optimise on the hot path).
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { burst } from './lib/load.ts';
import { startSubject } from './lib/subjects.ts';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

const kind = (process.env.PROFILE_KIND ?? 'koa-redline') as 'koa-redline';
const seconds = Number(process.env.PROFILE_SECONDS ?? 10);
const dir = mkdtempSync(join(tmpdir(), 'redline-prof-'));
const subject = await startSubject({ name: kind, kind, nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${dir}`] });
await burst({ url: `${subject.url}/hello`, seconds: 2 });
const result = await burst({ url: `${subject.url}/hello`, seconds });
await subject.stop();

const file = readdirSync(dir).find((name) => name.endsWith('.cpuprofile'));
if (!file) throw new Error(`no profile written in ${dir}`);
const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { nodes: ProfileNode[] };
const selfHits = new Map<string, number>();
let total = 0;
for (const node of profile.nodes) {
  const hits = node.hitCount ?? 0;
  total += hits;
  const { functionName, url, lineNumber } = node.callFrame;
  const where = url ? `${url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*?\/(service|bench)\//, '$1/')}:${lineNumber + 1}` : '';
  const key = `${functionName || '(anonymous)'} ${where}`.trim();
  selfHits.set(key, (selfHits.get(key) ?? 0) + hits);
}
console.log(`${kind}: ${Math.round(result.rps)} req/s; profile ${join(dir, file)}`);
console.log('self%   function');
for (const [key, hits] of [...selfHits].sort((a, b) => b[1] - a[1]).slice(0, Number(process.env.PROFILE_TOP ?? 30))) {
  console.log(`${((hits / total) * 100).toFixed(1).padStart(5)}   ${key}`);
}
