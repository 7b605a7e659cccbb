// Builds dist/: ESM JavaScript and .d.ts by tsc (the repository's TypeScript), and the vendored
// metrics.proto that protobuf.ts loads beside itself at run time. `npm pack` runs it (prepack).
import { execFileSync } from 'node:child_process';
import { cpSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const typescript = createRequire(import.meta.url).resolve('typescript/package.json');
const tscBin = (JSON.parse(readFileSync(typescript, 'utf8')) as { bin: { tsc: string } }).bin.tsc;

// Built beside dist/ and swapped in, so a process starting meanwhile (the service imports the
// package by name) finds the old build or the new one, never half of one.
const next = join(here, 'dist.next');
rmSync(next, { recursive: true, force: true });
execFileSync(process.execPath, [join(dirname(typescript), tscBin), '-p', join(here, 'tsconfig.build.json'), '--outDir', next], {
  stdio: 'inherit',
});
cpSync(join(here, 'src/proto'), join(next, 'proto'), { recursive: true });
rmSync(join(here, 'dist'), { recursive: true, force: true });
renameSync(next, join(here, 'dist'));
