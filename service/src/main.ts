// Entry point: read the config, start the server, and shut down cleanly on a signal.
import { Registry } from 'prom-client';
import { createApp } from './app.ts';
import { ConfigError, EXIT_CONFIG, loadConfig, unknownSimulationVariables, type Config } from './config.ts';
import { Readiness } from './health.ts';
import { boundedStdout, createLogger } from './logger.ts';
import { startServer } from './server.ts';

/** Exit code when the port cannot be had (sysexits' EX_UNAVAILABLE). */
const EXIT_UNAVAILABLE = 69;

/** How long buffered log lines may take to reach stdout at exit. */
const LOG_FLUSH_MS = 2_000;

let config: Config;
try {
  config = loadConfig();
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`redline: ${error.message}\n`);
  process.exit(EXIT_CONFIG);
}

const stdout = boundedStdout(config.logBufferBytes);
const logger = createLogger(config.logLevel, stdout.stream);
const registry = new Registry();
stdout.register(registry);
const readiness = new Readiness();
for (const { name, closest } of unknownSimulationVariables(process.env)) {
  logger.warn({ variable: name, closest }, `unknown simulation variable ${name} is ignored (did you mean ${closest}?)`);
}
const { app, metricsApp } = createApp({ config, logger, readiness, registry });
let running: Awaited<ReturnType<typeof startServer>>;
try {
  running = await startServer(app, config, readiness, logger, { registry, metricsApp });
} catch (error) {
  const { code, port } = error as NodeJS.ErrnoException & { port?: number };
  if (code !== 'EADDRINUSE' && code !== 'EACCES') throw error;
  // One line a person can act on, instead of a stack trace.
  const which = port === config.metricsPort ? 'METRICS_PORT' : 'PORT';
  const reason = code === 'EADDRINUSE' ? 'is already in use' : 'needs privileges this process does not have';
  process.stderr.write(`redline: ${config.host}:${port} ${reason}: stop what listens there or set ${which} to another port\n`);
  await stdout.flush(LOG_FLUSH_MS);
  process.exit(EXIT_UNAVAILABLE);
}

async function exit(code: number): Promise<never> {
  await stdout.flush(LOG_FLUSH_MS);
  process.exit(code);
}

// SIGTERM (Kubernetes, docker stop) and SIGHUP (a closed terminal, some supervisors) drain with
// the readiness delay; SIGINT (Ctrl-C) has no load balancer to wait for and skips it. A second
// signal of any kind while draining is logged and ignored: in-flight requests still finish
// within SHUTDOWN_TIMEOUT_MS, and the orchestrator's SIGKILL remains the hard stop.
for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
  process.on(signal, () => {
    if (running.shuttingDown) {
      logger.warn({ signal }, 'already shutting down; signal ignored');
      return;
    }
    void running.shutdown(signal, { skipDelay: signal === 'SIGINT' }).then(exit);
  });
}

// A fault outside any request leaves the process in an unknown state: log it and let the
// orchestrator restart us rather than limp on.
for (const event of ['uncaughtException', 'unhandledRejection'] as const) {
  process.on(event, (error) => {
    logger.fatal({ err: error }, event);
    void exit(1);
  });
}
