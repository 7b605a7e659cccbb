// `npm start` runs this before service/src/main.ts. Plain JavaScript on purpose: the service is
// TypeScript run directly, which only Node >= 24 can do (with --disable-sigusr1, which older
// Node refuses as a "bad option"), so on an older Node this is the only file that can explain.
const MINIMUM_MAJOR = 24;
const major = Number(process.versions.node.split('.')[0]);
if (!(major >= MINIMUM_MAJOR)) {
  process.stderr.write(
    'redline: needs Node \u2265 ' +
      MINIMUM_MAJOR +
      '; this is Node ' +
      process.version +
      ' (' +
      process.execPath +
      '). Run `make start`: it installs Node ' +
      MINIMUM_MAJOR +
      ' under .tools/ when the one on PATH is older.\n',
  );
  process.exit(1);
}
