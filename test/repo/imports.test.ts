// The import rules of docs/architecture.md ("What may import what"), checked over every
// TypeScript file git tracks: a new import across a forbidden line fails here.
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { repoRoot } from '../../scripts/lib/paths.ts';

interface Rule {
  /** Files the rule applies to (repository-relative prefix). */
  from: string;
  /** Files outside these prefixes are forbidden (a file path is a prefix of itself). */
  onlyFrom?: string[];
  /** Files under these prefixes are forbidden. */
  never?: string[];
  why: string;
}

const testCode = /(^|\/)test\//;

const rules: Rule[] = [
  { from: 'service/src/', onlyFrom: ['service/src/'], why: 'the image ships service/src alone' },
  {
    from: 'packages/red-metrics/src/',
    onlyFrom: ['packages/red-metrics/src/'],
    why: 'the metrics package is installed on its own: it imports nothing of the service or the repository',
  },
  {
    from: 'scripts/',
    onlyFrom: ['scripts/', 'service/src/duration.ts', 'service/src/loadgen/options.ts'],
    why: "tools talk to the service over HTTP; they share only the duration parser and the load generator's option checks (make local validates --rate as the load generator will)",
  },
  { from: 'dashboards/', onlyFrom: ['dashboards/'], why: 'the dashboard is generated from its own specs' },
  {
    from: 'hack/',
    onlyFrom: ['hack/', 'scripts/lib/', 'service/src/simulation/env-spec.ts'],
    why: 'build-machine tools and generators use the tooling library, and the SIM_* list the chart schema is generated from',
  },
  {
    from: 'bench/',
    onlyFrom: ['bench/', 'scripts/lib/'],
    why: 'benchmarks measure the metrics package (imported by name, as installed), and start processes with the tooling library',
  },
];

/** Where a test file's own helpers live: its part's test folder, or its suite's folder under test/. */
function testHome(file: string): string | undefined {
  const parts = file.split('/');
  if (parts[0] === 'test') return parts.length > 2 ? `test/${parts[1]}/` : undefined;
  return ['service/test/', 'scripts/test/', 'charts/redline/test/', 'packages/red-metrics/test/'].find((root) => file.startsWith(root));
}

/** Imports that break a rule today and are being removed; each one must still exist. */
const pending = new Map<string, string>([]);

/** Repository-relative targets of a file's relative imports (static, re-exports and import()). */
function importsOf(file: string, text: string): string[] {
  const specifiers = [...text.matchAll(/(?:^|[\s;])(?:import|export)\s[^;]*?\sfrom\s+'([^']+)'|import\(\s*'([^']+)'\s*\)/gm)].map(
    (m) => (m[1] ?? m[2])!,
  );
  return specifiers.filter((s) => s.startsWith('.')).map((s) => normalize(join(dirname(file), s)));
}

function violations(imports: Map<string, string[]>): string[] {
  const found: string[] = [];
  for (const [file, targets] of imports) {
    if (testCode.test(file)) {
      // Tests may import what they test, and shared helpers from test/support/ only: never
      // another part's or suite's test files.
      const home = testHome(file);
      for (const target of targets) {
        const targetHome = testHome(target);
        if (targetHome && targetHome !== home && targetHome !== 'test/support/') found.push(`${file} -> ${target}`);
      }
      continue;
    }
    for (const rule of rules.filter((r) => file.startsWith(r.from))) {
      for (const target of targets) {
        const outside = rule.onlyFrom && !rule.onlyFrom.some((allowed) => target.startsWith(allowed));
        const banned = rule.never?.some((forbidden) => target.startsWith(forbidden));
        if (outside || banned) found.push(`${file} -> ${target}`);
      }
    }
  }
  return found;
}

/** The package's public entry points, from its exports map: `@redline/red-metrics`, `@redline/red-metrics/koa`, ... */
const packageJson = JSON.parse(readFileSync(join(repoRoot, 'packages/red-metrics/package.json'), 'utf8')) as {
  name: string;
  exports: Record<string, unknown>;
};
const publicEntries = new Set(
  Object.keys(packageJson.exports).map((key) => (key === '.' ? packageJson.name : `${packageJson.name}${key.slice(1)}`)),
);

/** Imports of the metrics package by name that reach past its exports map (its internals). */
function deepImports(file: string, text: string): string[] {
  const specifiers = [...text.matchAll(/(?:^|[\s;])(?:import|export)\s[^;]*?\sfrom\s+'([^']+)'|import\(\s*'([^']+)'\s*\)/gm)].map(
    (m) => (m[1] ?? m[2])!,
  );
  return specifiers
    .filter((s) => s === packageJson.name || s.startsWith(`${packageJson.name}/`))
    .filter((s) => !publicEntries.has(s))
    .map((s) => `${file} -> ${s}`);
}

function trackedImports(): Map<string, string[]> {
  const files = execFileSync('git', ['ls-files', '*.ts'], { cwd: repoRoot, encoding: 'utf8' }).split('\n').filter(Boolean);
  return new Map(files.map((file) => [file, importsOf(file, readFileSync(join(repoRoot, file), 'utf8'))]));
}

describe('import rules (docs/architecture.md)', function () {
  it('no file imports across a forbidden line', function () {
    const found = violations(trackedImports()).filter((v) => !pending.has(v));
    expect(found, rules.map((r) => `${r.from}: ${r.why}`).join('\n')).to.deep.equal([]);
  });

  it('code outside the metrics package imports it only through its public entry points, as a user would', function () {
    const files = execFileSync('git', ['ls-files', '*.ts'], { cwd: repoRoot, encoding: 'utf8' }).split('\n').filter(Boolean);
    // This file's own examples of deep imports aside.
    const users = files.filter((file) => !file.startsWith('packages/red-metrics/') && file !== 'test/repo/imports.test.ts');
    const texts = users.map((file) => [file, readFileSync(join(repoRoot, file), 'utf8')] as const);
    expect(texts.filter(([, text]) => text.includes(`'${packageJson.name}`)).length, 'files importing the package').to.be.greaterThan(5);
    expect(texts.flatMap(([file, text]) => deepImports(file, text))).to.deep.equal([]);
  });

  it('catches a deep import of the package, and lets its entry points through', function () {
    const source = [
      "import { RedMetrics } from '@redline/red-metrics';",
      "import { redMiddleware } from '@redline/red-metrics/koa';",
      "import { renderProtobuf } from '@redline/red-metrics/dist/protobuf.js';",
      "const internal = await import('@redline/red-metrics/src/exposition.ts');",
    ].join('\n');
    expect(deepImports('service/src/example.ts', source)).to.deep.equal([
      'service/src/example.ts -> @redline/red-metrics/dist/protobuf.js',
      'service/src/example.ts -> @redline/red-metrics/src/exposition.ts',
    ]);
  });

  it('every pending exception is still needed (remove it once its import is gone)', function () {
    const found = new Set(violations(trackedImports()));
    for (const [exception, why] of pending) expect(found.has(exception), `${exception} (${why})`).to.equal(true);
  });

  it("catches a test importing another part's test files, and lets tests share test/support/", function () {
    const file = 'scripts/test/smoke/units.test.ts';
    const targets = [
      'charts/redline/test/support/values.ts',
      'test/hardening/client.ts',
      'test/support/shims.ts',
      'scripts/test/lib/x.ts',
      'scripts/smoke/options.ts',
    ];
    expect(violations(new Map([[file, targets]]))).to.deep.equal([
      'scripts/test/smoke/units.test.ts -> charts/redline/test/support/values.ts',
      'scripts/test/smoke/units.test.ts -> test/hardening/client.ts',
    ]);
    expect(
      violations(new Map([['test/integration/a.test.ts', ['test/container/support/podman.ts', 'test/integration/b.ts']]])),
    ).to.deep.equal(['test/integration/a.test.ts -> test/container/support/podman.ts']);
  });

  it('catches what it should: a service file importing scripts/, metrics importing routes, re-exports and import()', function () {
    const source = [
      "import { x } from '../../../scripts/lib/helm.ts';",
      "export { y } from '../routes/items.ts';",
      "const z = await import('../app.ts');",
      "import type { Ok } from './labels.ts';",
    ].join('\n');
    const file = 'service/src/http/example.ts';
    expect(importsOf(file, source)).to.deep.equal([
      'scripts/lib/helm.ts',
      'service/src/routes/items.ts',
      'service/src/app.ts',
      'service/src/http/labels.ts',
    ]);
    expect(violations(new Map([[file, importsOf(file, source)]]))).to.deep.equal(['service/src/http/example.ts -> scripts/lib/helm.ts']);
    const inPackage = 'packages/red-metrics/src/example.ts';
    const reachingOut = "import { routeTemplate } from '../../../service/src/http/request-log.ts';\nimport { x } from './labels.ts';";
    expect(violations(new Map([[inPackage, importsOf(inPackage, reachingOut)]]))).to.deep.equal([
      'packages/red-metrics/src/example.ts -> service/src/http/request-log.ts',
    ]);
  });
});
