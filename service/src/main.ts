// Entry point: read the config, start the server, and shut down cleanly on SIGTERM/SIGINT.
import { createApp } from './app.ts';
import { ConfigError, EXIT_CONFIG, loadConfig, type Config } from './config.ts';
import { Readiness } from './health.ts';
import { createLogger } from './logger.ts';
import { startServer } from './server.ts';

let config: Config;
try {
  config = loadConfig();
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`redline: ${error.message}\n`);
  process.exit(EXIT_CONFIG);
}

const logger = createLogger(config.logLevel);
const readiness = new Readiness();
const { app } = createApp({ config, logger, readiness });
const running = await startServer(app, config, readiness, logger);

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    running.shutdown(signal).then((code) => process.exit(code));
  });
}

// A fault outside any request leaves the process in an unknown state: log it and let the
// orchestrator restart us rather than limp on.
for (const event of ['uncaughtException', 'unhandledRejection'] as const) {
  process.on(event, (error) => {
    logger.fatal({ err: error }, event);
    process.exit(1);
  });
}
