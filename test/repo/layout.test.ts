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

  it('the architecture map names every folder of service/src and scripts, and only real ones', function () {
    const map = codeBlockAfter('docs/architecture.md', '## Folders, and what may import what');
    for (const under of ['service/src/', 'scripts/']) {
      for (const folder of folders(under)) expect(map, `${under}${folder}`).to.match(new RegExp(`(^|\\s)${folder}(\\s|$)`, 'm'));
    }
    const mentioned = [...map.matchAll(/^(\S+\/)/gm)].map((m) => m[1]!);
    for (const path of mentioned) expect(existsSync(join(repoRoot, path)), path).to.equal(true);
  });
});
