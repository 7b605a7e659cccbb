import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { ConfigError, EXIT_CONFIG, loadConfig, unknownSimulationVariables } from '../src/config.ts';
import { DEFAULT_PROFILES } from '../src/simulation/profiles.ts';

describe('config', () => {
  it('has sane defaults for an empty environment', () => {
    const config = loadConfig({});
    expect(config).to.include({ host: '0.0.0.0', port: 8080, logLevel: 'info', shutdownTimeoutMs: 10_000, adminToken: undefined });
    expect(config.simulation.profiles).to.deep.equal(DEFAULT_PROFILES);
    expect(config.simulation.seed).to.equal(undefined);
    expect(config).to.include({
      metricsPort: undefined,
      shutdownDelayMs: 3_000,
      maxRequestsInFlight: 1_024,
      maxPipelinedRequests: 16,
      maxConnections: 4_096,
      sendTimeoutMs: 10_000,
      logBufferBytes: 1024 * 1024,
      maxBodiesWaiting: 256,
      bodyTimeoutMs: 10_000,
      // 4 x the 16 KiB body limit + 64 KiB.
      maxRequestWireBytes: 131_072,
    });
  });

  it('reads the body bounds, and refuses a body timeout past the request timeout or a wire limit under the body limit', () => {
    expect(loadConfig({ MAX_BODIES_WAITING: '8', BODY_TIMEOUT_MS: '2000', MAX_REQUEST_WIRE_BYTES: '20000' })).to.include({
      maxBodiesWaiting: 8,
      bodyTimeoutMs: 2_000,
      maxRequestWireBytes: 20_000,
    });
    expect(loadConfig({ BODY_LIMIT_BYTES: '1024' }).maxRequestWireBytes).to.equal(4 * 1024 + 65_536);
    expect(
      loadConfig({ HEADERS_TIMEOUT_MS: '1000', REQUEST_TIMEOUT_MS: '2000' }).bodyTimeoutMs,
      'unset: no longer than the request timeout',
    ).to.equal(2_000);
    expect(() => loadConfig({ BODY_TIMEOUT_MS: '40000' })).to.throw(ConfigError, /BODY_TIMEOUT_MS: must be <= REQUEST_TIMEOUT_MS/);
    expect(() => loadConfig({ MAX_REQUEST_WIRE_BYTES: '100' })).to.throw(
      ConfigError,
      /MAX_REQUEST_WIRE_BYTES: must be >= BODY_LIMIT_BYTES/,
    );
    expect(() => loadConfig({ MAX_BODIES_WAITING: '0' })).to.throw(
      ConfigError,
      /MAX_BODIES_WAITING: must be between 1 and 100000 \(got "0"\)/,
    );
  });

  it('reads METRICS_PORT and the memory bounds', () => {
    const config = loadConfig({
      METRICS_PORT: '9797',
      MAX_REQUESTS_IN_FLIGHT: '10',
      MAX_PIPELINED_REQUESTS: '2',
      MAX_CONNECTIONS: '100',
      SEND_TIMEOUT_MS: '2000',
      LOG_BUFFER_BYTES: '65536',
    });
    expect(config).to.include({
      metricsPort: 9797,
      maxRequestsInFlight: 10,
      maxPipelinedRequests: 2,
      maxConnections: 100,
      sendTimeoutMs: 2_000,
      logBufferBytes: 65_536,
    });
  });

  it('caps a default p99 at the largest spread when only the median is set', () => {
    const config = loadConfig({ SIM_CHECKOUT_MEDIAN_MS: '0.5' });
    expect(config.simulation.profiles.checkout).to.include({ medianMs: 0.5, p99Ms: 500 });
  });

  it('reads and converts every variable', () => {
    const config = loadConfig({
      PORT: '9000',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'debug',
      SHUTDOWN_DELAY_MS: '2000',
      SHUTDOWN_TIMEOUT_MS: '5000',
      ADMIN_TOKEN: 'a-long-enough-token',
      SIM_SEED: '42',
      SIM_CHECKOUT_ERROR_RATE: '0.5',
      SIM_GET_ITEM_MEDIAN_MS: '5',
      SIM_GET_ITEM_P99_MS: '10',
    });
    expect(config).to.include({ port: 9000, host: '127.0.0.1', logLevel: 'debug', shutdownDelayMs: 2000, shutdownTimeoutMs: 5000 });
    expect(config.adminToken).to.equal('a-long-enough-token');
    expect(config.simulation.seed).to.equal(42);
    expect(config.simulation.profiles.checkout.errorRate).to.equal(0.5);
    expect(config.simulation.profiles.get_item).to.deep.equal({ medianMs: 5, p99Ms: 10, errorRate: DEFAULT_PROFILES.get_item.errorRate });
  });

  it('switches native histograms with METRICS_NATIVE_HISTOGRAMS (default on), refusing other values', () => {
    expect(loadConfig({}).metrics.nativeHistograms).to.equal(true);
    expect(loadConfig({ METRICS_NATIVE_HISTOGRAMS: 'false' }).metrics.nativeHistograms).to.equal(false);
    expect(loadConfig({ METRICS_NATIVE_HISTOGRAMS: ' TRUE ' }).metrics.nativeHistograms).to.equal(true);
    expect(loadConfig({ METRICS_NATIVE_HISTOGRAMS: '0' }).metrics.nativeHistograms).to.equal(false);
    expect(() => loadConfig({ METRICS_NATIVE_HISTOGRAMS: 'yes' })).to.throw(
      ConfigError,
      /METRICS_NATIVE_HISTOGRAMS: must be true or false \(got "yes"\)/,
    );
  });

  it('applies the global error rate and latency factor under per-route values', () => {
    const config = loadConfig({ SIM_ERROR_RATE: '0.1', SIM_LATENCY_FACTOR: '2', SIM_CHECKOUT_ERROR_RATE: '0' });
    expect(config.simulation.profiles.list_items.errorRate).to.equal(0.1);
    expect(config.simulation.profiles.checkout.errorRate).to.equal(0);
    expect(config.simulation.profiles.list_items.medianMs).to.equal(DEFAULT_PROFILES.list_items.medianMs * 2);
  });

  it('treats empty variables as unset', () => {
    expect(loadConfig({ PORT: '', ADMIN_TOKEN: '' })).to.include({ port: 8080, adminToken: undefined });
  });

  const bad: [Record<string, string>, RegExp][] = [
    [{ PORT: '0' }, /PORT: must be between 1 and 65535 \(got "0"\)/],
    [{ PORT: '70000' }, /PORT: must be between 1 and 65535/],
    [{ PORT: '-1' }, /PORT: must be between 1 and 65535 \(got "-1"\)/],
    [{ PORT: 'http' }, /PORT: must be a whole number between 1 and 65535/],
    [{ LOG_LEVEL: 'loud' }, /LOG_LEVEL/],
    [{ SHUTDOWN_TIMEOUT_MS: '10' }, /SHUTDOWN_TIMEOUT_MS: must be between 100 and 300000/],
    [{ ADMIN_TOKEN: 'short' }, /ADMIN_TOKEN: must be at least 16 characters/],
    [{ ADMIN_TOKEN: 'sécurité-0123456789' }, /ADMIN_TOKEN: must be printable ASCII without spaces/],
    [{ ADMIN_TOKEN: 'a token with spaces' }, /ADMIN_TOKEN: must be printable ASCII without spaces/],
    [{ PORT: '9000', METRICS_PORT: '9000' }, /METRICS_PORT: must differ from PORT/],
    [{ SEND_TIMEOUT_MS: '10' }, /SEND_TIMEOUT_MS: must be between 1000 and 600000/],
    [{ SIM_GET_ITEM_MEDIAN_MS: '0.001', SIM_GET_ITEM_P99_MS: '30000' }, /SIM_GET_ITEM_P99_MS: must be at most 1000 x the median/],
    [{ SIM_GET_ITEM_MEDIAN_MS: '0', SIM_GET_ITEM_P99_MS: '10' }, /SIM_GET_ITEM_P99_MS: must be 0 when the median is 0/],
    [{ SIM_CHECKOUT_ERROR_RATE: '1.5' }, /SIM_CHECKOUT_ERROR_RATE: must be between 0 and 1 \(got "1.5"\)/],
    // A negative number is out of range, not "not a number".
    [{ SIM_ERROR_RATE: '-0.1' }, /SIM_ERROR_RATE: must be between 0 and 1 \(got "-0.1"\)/],
    [{ SIM_LATENCY_FACTOR: 'fast' }, /SIM_LATENCY_FACTOR: must be a number between 0 and 100/],
    [{ SIM_GET_ITEM_MEDIAN_MS: '50', SIM_GET_ITEM_P99_MS: '10' }, /SIM_GET_ITEM_P99_MS: must be >= SIM_GET_ITEM_MEDIAN_MS/],
    [{ HEADERS_TIMEOUT_MS: '60000', REQUEST_TIMEOUT_MS: '30000' }, /HEADERS_TIMEOUT_MS: must be <= REQUEST_TIMEOUT_MS/],
  ];
  for (const [env, message] of bad) {
    it(`rejects ${JSON.stringify(env)}`, () => {
      expect(() => loadConfig(env)).to.throw(ConfigError, message);
    });
  }

  it('lists every problem at once', () => {
    try {
      loadConfig({ PORT: 'x', SIM_ERROR_RATE: '-1', LOG_LEVEL: 'loud' });
      expect.fail('should throw');
    } catch (error) {
      expect((error as ConfigError).problems).to.have.length(3);
    }
  });

  it('makes the service exit with EX_CONFIG and a clear message on bad values', () => {
    const main = fileURLToPath(new URL('../src/main.ts', import.meta.url));
    const result = spawnSync(process.execPath, [main], { env: { ...process.env, PORT: 'eighty' }, encoding: 'utf8', timeout: 10_000 });
    expect(result.status).to.equal(EXIT_CONFIG);
    expect(result.stderr).to.match(/invalid configuration:\n {2}- PORT: must be a whole number between 1 and 65535 \(got "eighty"\)/);
  });

  it('names unknown SIM_* variables with the known name closest to each', () => {
    expect(unknownSimulationVariables({ SIM_CHEKOUT_MEDIAN_MS: '5', SIM_ERROR_RATE: '0.1', SIM_SEED: '1', PATH: '/bin' })).to.deep.equal([
      { name: 'SIM_CHEKOUT_MEDIAN_MS', closest: 'SIM_CHECKOUT_MEDIAN_MS' },
    ]);
    expect(unknownSimulationVariables({ SIM_ERORR_RATE: '0.1' })).to.deep.equal([{ name: 'SIM_ERORR_RATE', closest: 'SIM_ERROR_RATE' }]);
    expect(unknownSimulationVariables({ SIM_GET_ITEM_P99_MS: '9', HOME: '/root' })).to.deep.equal([]);
  });
});
