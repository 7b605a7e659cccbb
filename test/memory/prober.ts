// The well-behaved client, in its own process so the attacker's busy loop cannot delay it:
// node test/memory/prober.ts URL API_PATH; probes until stdin closes, then prints its tally.
import { keepProbing } from './hostile.ts';

const [url = '', apiPath = '/api/items?limit=2'] = process.argv.slice(2);
const stop = { now: false };
process.stdin.resume();
process.stdin.once('end', () => (stop.now = true));
process.stdout.write(`${JSON.stringify(await keepProbing(url, apiPath, stop))}\n`);
