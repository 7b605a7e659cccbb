import { createServer } from 'node:net';

/** A TCP port that was free on `host` a moment ago (the OS picks it). */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Why `port` on `host` cannot be listened on right now ("in use", "not permitted"), or
 * undefined when it can. Checked by listening briefly, which is what the real server will do.
 */
export function portProblem(host: string, port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE') resolve('is in use');
      else if (error.code === 'EACCES') resolve('needs privileges (ports below 1024)');
      else if (error.code === 'EADDRNOTAVAIL') resolve('is on an address this machine does not have');
      else resolve(`cannot be listened on (${error.code ?? error.message})`);
    });
    server.listen(port, host, () => server.close(() => resolve(undefined)));
  });
}
