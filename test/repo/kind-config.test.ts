// kind-config.yaml against a JSON schema of kind's v1alpha4 Cluster type (written here from
// kind v0.32.0's Go types: kind ships no schema), plus what the project needs of it.
import { expect } from 'chai';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { repoRoot } from '../../scripts/lib/paths.ts';

const schema = JSON.parse(await readFile(new URL('./schemas/kind-cluster-v1alpha4.schema.json', import.meta.url), 'utf8'));
const validate = new Ajv({ allErrors: true, strict: true }).compile(schema);

async function config() {
  return parse(await readFile(join(repoRoot, 'kind-config.yaml'), 'utf8')) as {
    name: string;
    nodes: { role: string; image: string }[];
    networking: { apiServerAddress: string };
  };
}

describe('kind-config.yaml', function () {
  it('validates against the v1alpha4 Cluster schema', async function () {
    const ok = validate(await config());
    expect(validate.errors ?? [], JSON.stringify(validate.errors)).to.deep.equal([]);
    expect(ok).to.equal(true);
  });

  it('the schema rejects what kind rejects: unknown fields, bad roles', async function () {
    const good = await config();
    expect(validate({ ...good, node: [] })).to.equal(false);
    expect(validate({ ...good, nodes: [{ role: 'master' }] })).to.equal(false);
    expect(validate({ ...good, networking: { kubeProxyMode: 'userspace' } })).to.equal(false);
    expect(validate({ ...good, apiVersion: 'kind.x-k8s.io/v1alpha3' })).to.equal(false);
  });

  it('pins every node to the same kindest/node image by digest, and keeps the API on loopback', async function () {
    const { name, nodes, networking } = await config();
    expect(name).to.equal('redline'); // make kind-up: KIND_CLUSTER, context kind-redline
    expect(nodes.map((n) => n.role)).to.deep.equal(['control-plane', 'worker']);
    const images = new Set(nodes.map((n) => n.image));
    expect(images.size).to.equal(1);
    expect([...images][0]).to.match(/^kindest\/node:v1\.\d+\.\d+@sha256:[0-9a-f]{64}$/);
    expect(networking.apiServerAddress).to.equal('127.0.0.1');
  });
});
