// The schema's simulation.env is generated from service/src/simulation/env-spec.ts: the
// committed file must be what the generator writes (its --check mode, run for real), and the
// check must notice a hand edit.
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CHART_DIR } from '../../../scripts/lib/helm.ts';
import { repoRoot } from '../../../scripts/lib/paths.ts';
import { rangePattern } from '../../../hack/simulation-schema.ts';
import { withTempDir } from '../../../scripts/lib/temp-dir.ts';
import { SIMULATION_VARIABLES } from '../../../service/src/simulation/env-spec.ts';

const run = promisify(execFile);

/** The generated fragment, as far as these tests edit it. */
interface EnvSchema {
  properties: Record<string, { anyOf: { maximum?: number }[] }>;
}
const generator = join(repoRoot, 'hack/chart-schema.ts');

async function check(schema: string): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [generator, '--check', '--schema', schema]);
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const failure = error as { code: number; stdout: string; stderr: string };
    return { code: failure.code, output: failure.stdout + failure.stderr };
  }
}

describe('chart: values.schema.json simulation.env is generated', function () {
  this.timeout(30_000);
  const committed = join(CHART_DIR, 'values.schema.json');

  it('the committed schema is what hack/chart-schema.ts generates', async () => {
    const result = await check(committed);
    expect(result, result.output).to.deep.include({ code: 0 });
  });

  it('lists every SIM_* variable of the service, and only those', async () => {
    const schema = JSON.parse(await readFile(committed, 'utf8'));
    const env = schema.properties.simulation.properties.env;
    expect(Object.keys(env.properties)).to.have.members(Object.keys(SIMULATION_VARIABLES));
    expect(env.additionalProperties).to.equal(false);
  });

  for (const [name, edit] of [
    ['a range edited by hand', (env: EnvSchema) => (env.properties.SIM_ERROR_RATE!.anyOf[0]!.maximum = 2)],
    ['a variable removed by hand', (env: EnvSchema) => delete env.properties.SIM_SEED],
  ] as const) {
    it(`--check fails on ${name}`, async () => {
      await withTempDir('redline-schema-', async (dir) => {
        const schema = JSON.parse(await readFile(committed, 'utf8'));
        edit(schema.properties.simulation.properties.env);
        const copy = join(dir, 'values.schema.json');
        await writeFile(copy, JSON.stringify(schema));
        const result = await check(copy);
        expect(result.code).to.equal(1);
        expect(result.output).to.match(/simulation\.env differs .* run node hack\/chart-schema\.ts/);
      });
    });
  }

  it('range patterns match the numbers in range and no others (checked against Number())', () => {
    const variables = [
      { kind: 'decimal', min: 0, max: 1, description: '' },
      { kind: 'decimal', min: 0, max: 100, description: '' },
      { kind: 'integer', min: 0, max: 65_535, description: '' },
    ] as const;
    const inputs = [
      '0',
      '1',
      '1.0',
      '1.00',
      '1.5',
      '0.25',
      '99',
      '99.9',
      '100',
      '100.0',
      '100.01',
      '101',
      '65535',
      '65536',
      '007',
      '1e3',
      '-1',
      '',
    ];
    for (const variable of variables) {
      const pattern = new RegExp(rangePattern(variable));
      for (const input of inputs) {
        const form = variable.kind === 'integer' ? /^\d+$/ : /^\d+(\.\d+)?$/;
        const value = Number(input);
        const expected = form.test(input) && value >= variable.min && value <= variable.max;
        expect(pattern.test(input), `${input} in ${variable.kind} [${variable.min}, ${variable.max}]`).to.equal(expected);
      }
    }
  });
});
