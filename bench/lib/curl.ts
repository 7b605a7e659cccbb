// A scrape from another process, as Prometheus scrapes (never from the load generator's own
// event loop, which would then spend the body's parsing on every server's latencies).
import { spawn } from 'node:child_process';

export interface Fetched {
  bytes: number;
  /** curl's own total time of the transfer, ms. */
  ms: number;
}

export function curl(url: string, accept: string): Promise<Fetched> {
  return new Promise((resolve, reject) => {
    let out = '';
    const child = spawn('curl', ['-s', '-o', '/dev/null', '-w', '%{size_download} %{time_total}', '-H', `accept: ${accept}`, url]);
    child.stdout.on('data', (chunk: Buffer) => (out += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      const [bytes, seconds] = out.split(' ').map(Number);
      if (code === 0) resolve({ bytes: bytes!, ms: seconds! * 1000 });
      else reject(new Error(`curl ${url}: exit ${code}`));
    });
  });
}
