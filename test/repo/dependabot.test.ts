// .github/dependabot.yml: Dependabot looks for an ecosystem's manifest only in the directory an
// entry names, and says nothing when it finds none; so each entry must point at its manifest.
import { expect } from 'chai';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { repoRoot } from '../../scripts/lib/paths.ts';

interface Update {
  'package-ecosystem': string;
  directory: string;
  schedule: { interval: string };
}

const config = parse(await readFile(join(repoRoot, '.github/dependabot.yml'), 'utf8')) as { version: number; updates: Update[] };
const at = (update: Update, file: string) => join(repoRoot, update.directory, file);

describe('.github/dependabot.yml', function () {
  it('is version 2 and updates npm, GitHub Actions and the Dockerfile base image weekly', function () {
    expect(config.version).to.equal(2);
    expect(config.updates.map((u) => u['package-ecosystem'])).to.have.members(['npm', 'github-actions', 'docker']);
    for (const update of config.updates) expect(update.schedule.interval, update['package-ecosystem']).to.equal('weekly');
  });

  it('points each ecosystem at the directory that holds its manifest', async function () {
    for (const update of config.updates) {
      const ecosystem = update['package-ecosystem'];
      if (ecosystem === 'npm') {
        expect(existsSync(at(update, 'package.json')) && existsSync(at(update, 'package-lock.json')), ecosystem).to.equal(true);
      } else if (ecosystem === 'github-actions') {
        const workflows = await readdir(at(update, '.github/workflows'));
        expect(
          workflows.filter((f) => /\.ya?ml$/.test(f)),
          ecosystem,
        ).to.not.be.empty;
      } else if (ecosystem === 'docker') {
        // The registry image a build starts from: what Dependabot bumps.
        const dockerfile = await readFile(at(update, 'Dockerfile'), 'utf8');
        expect(dockerfile, ecosystem).to.match(/^FROM node:\d+\.\d+\.\d+-\S+/m);
      } else {
        expect.fail(`no check for ecosystem ${ecosystem}`);
      }
    }
  });
});
