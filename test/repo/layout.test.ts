// The README's Layout block and the folder map in docs/architecture.md against the tree git
// tracks: every folder they name exists, and every folder that exists is named.
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../scripts/lib/paths.ts';

const tracked = execFileSync('git', ['ls-files'], { cwd: repoRoot, encoding: 'utf8' }).split('\n').filter(Boolean);
/** Tracked folders `depth` levels below `under` ('' for the top), as "name/". */
const folders = (under: string, depth = 1) =>
  [...new Set(tracked.filter((f) => f.startsWith(under)).map((f) => f.slice(under.length).split('/')))]
    .filter((parts) => parts.length > depth)
    .map((parts) => `${parts.slice(0, depth).join('/')}/`)
    .filter((folder, index, all) => all.indexOf(folder) === index);

function codeBlockAfter(file: string, heading: string): string {
  const text = readFileSync(join(repoRoot, file), 'utf8');
  const from = text.indexOf(heading);
  expect(from, `${heading} in ${file}`).to.be.greaterThan(-1);
  const start = text.indexOf('```\n', from) + 4;
  return text.slice(start, text.indexOf('```', start));
}

describe('README layout and docs/architecture.md folder map', function () {
  const layout = codeBlockAfter('README.md', '## Layout');
  const named = layout
    .split('\n')
    .map((line) => line.split(/\s{2,}/)[0]!.trim())
    .filter(Boolean);

  it('the README names only paths that exist', function () {
    expect(named.length).to.be.greaterThan(5);
    for (const path of named) expect(existsSync(join(repoRoot, path)), path).to.equal(true);
  });

  it('the README names every top-level folder', function () {
    for (const folder of folders(''))
      expect(
        named.some((path) => path.startsWith(folder)),
        folder,
      ).to.equal(true);
  });

  it('the architecture map names every folder of service/src, scripts, hack and test, and only real ones', function () {
    const map = codeBlockAfter('docs/architecture.md', '## Folders, and what may import what');
    for (const under of ['service/src/', 'scripts/', 'hack/', 'test/']) {
      for (const folder of folders(under)) expect(map, `${under}${folder}`).to.match(new RegExp(`(^|\\s)${folder}(\\s|$)`, 'm'));
    }
    const mentioned = [...map.matchAll(/^(\S+\/)/gm)].map((m) => m[1]!);
    for (const path of mentioned) expect(existsSync(join(repoRoot, path)), path).to.equal(true);
  });
});

describe('hack/README.md', function () {
  it('has a line for every file under hack/, and names only real ones', function () {
    const readme = readFileSync(join(repoRoot, 'hack/README.md'), 'utf8');
    const files = tracked.filter((f) => f.startsWith('hack/') && f !== 'hack/README.md').map((f) => f.slice('hack/'.length));
    expect(files.length).to.be.greaterThan(3);
    for (const file of files) expect(readme, file).to.include(`| \`${file}\` |`);
    const named = [...readme.matchAll(/^\| `([^`]+)` \|/gm)].map((m) => m[1]!);
    for (const file of named) expect(existsSync(join(repoRoot, 'hack', file)), file).to.equal(true);
  });
});

describe('test homes', function () {
  it('every test file sits beside its part (service/test, scripts/test, charts/redline/test, packages/red-metrics/test) or in a suite folder of test/', function () {
    const specs = tracked.filter((f) => /\.(test|spec)\.ts$/.test(f));
    expect(specs.length).to.be.greaterThan(50);
    const homes =
      /^(service\/test\/|scripts\/test\/|charts\/redline\/test\/|packages\/red-metrics\/test\/|test\/(integration|hardening|memory|container|release|repo)\/)/;
    expect(specs.filter((f) => !homes.test(f))).to.deep.equal([]);
  });

  it('scripts/test and service/test mirror their sources: each test names a file or folder that exists beside the source', function () {
    const mirrored = tracked.filter((f) => /^(scripts|service)\/test\/.*\.test\.ts$/.test(f));
    const orphans = mirrored.filter((f) => {
      const [part, , ...rest] = f.split('/');
      const folder = rest.slice(0, -1).join('/');
      const source = `${part}/${part === 'service' ? 'src/' : ''}${folder ? `${folder}/` : ''}`;
      return !tracked.some((t) => t.startsWith(source) && !t.includes('/test/'));
    });
    expect(orphans).to.deep.equal([]);
  });
});
