// Values as Helm users type them: `--set` keeps decimals as strings and reads whole numbers as
// numbers, `--set-string` and quoted YAML give strings. Each must render what the same value
// as a proper number renders; values that contradict each other, and SIM_* variables the
// service would refuse, fail `helm template` with a message naming the keys at fault.
import { expect } from 'chai';
import { helmTemplate, HelmError, type Manifest } from '../../../scripts/lib/helm.ts';
import { ConfigError, loadConfig } from '../../../service/src/config.ts';
import { get, spec, type PodTemplate } from '../../../test/support/chart/manifests.ts';

/** The helm error for these arguments, or undefined when the chart renders. */
async function templateError(args: string[]): Promise<HelmError | undefined> {
  try {
    await helmTemplate({ extraArgs: args });
    return undefined;
  } catch (error) {
    if (error instanceof HelmError) return error;
    throw error;
  }
}

const container = (manifests: Manifest[]) =>
  spec<{ template: PodTemplate }>(get(manifests, 'Deployment', 'redline')).template.spec.containers[0]!;

describe('chart: values as Helm users set them', function () {
  this.timeout(60_000);

  describe('numbers given as strings render as the numbers would', () => {
    const cases: { name: string; set: string[]; json: string[] }[] = [
      {
        name: 'SLO objectives and latency threshold (--set keeps 0.995 a string)',
        set: [
          '--set',
          'slo.availability.objective=0.995',
          '--set',
          'slo.latency.objective=0.95',
          '--set',
          'slo.latency.thresholdSeconds=0.25',
        ],
        json: [
          '--set-json',
          'slo.availability.objective=0.995',
          '--set-json',
          'slo.latency.objective=0.95',
          '--set-json',
          'slo.latency.thresholdSeconds=0.25',
        ],
      },
      {
        name: 'quantiles as a --set list',
        set: ['--set', 'prometheusRule.quantiles={0.5,0.9}'],
        json: ['--set-json', 'prometheusRule.quantiles=[0.5,0.9]'],
      },
      {
        name: 'whole numbers given with --set-string (ports, replicas, probes, shutdown)',
        set: [
          '--set-string',
          'service.port=9000',
          '--set-string',
          'metrics.port=9100',
          '--set-string',
          'replicaCount=3',
          '--set-string',
          'probes.readiness.periodSeconds=7',
          '--set-string',
          'shutdown.terminationGracePeriodSeconds=40',
        ],
        json: [
          '--set-json',
          'service.port=9000',
          '--set-json',
          'metrics.port=9100',
          '--set-json',
          'replicaCount=3',
          '--set-json',
          'probes.readiness.periodSeconds=7',
          '--set-json',
          'shutdown.terminationGracePeriodSeconds=40',
        ],
      },
      {
        name: 'load generator rate and HPA bounds',
        set: [
          '--set',
          'loadgen.enabled=true',
          '--set',
          'loadgen.rate=2.5',
          '--set',
          'autoscaling.enabled=true',
          '--set-string',
          'autoscaling.minReplicas=3',
          '--set-string',
          'podDisruptionBudget.minAvailable=2',
          '--set',
          'podDisruptionBudget.enabled=true',
        ],
        json: [
          '--set',
          'loadgen.enabled=true',
          '--set-json',
          'loadgen.rate=2.5',
          '--set',
          'autoscaling.enabled=true',
          '--set-json',
          'autoscaling.minReplicas=3',
          '--set-json',
          'podDisruptionBudget.minAvailable=2',
          '--set',
          'podDisruptionBudget.enabled=true',
        ],
      },
    ];
    for (const c of cases) {
      it(c.name, async () => {
        const [asStrings, asNumbers] = await Promise.all([helmTemplate({ extraArgs: c.set }), helmTemplate({ extraArgs: c.json })]);
        expect(asStrings).to.deep.equal(asNumbers);
      });
    }

    it('the string forms change what renders (the comparison above is not vacuous)', async () => {
      const [set, defaults] = await Promise.all([
        helmTemplate({ extraArgs: ['--set', 'slo.availability.objective=0.995', '--set-string', 'service.port=9000'] }),
        helmTemplate(),
      ]);
      expect(JSON.stringify(get(set, 'PrometheusRule').spec)).to.include('vector(0.995)');
      expect(JSON.stringify(get(defaults, 'PrometheusRule').spec)).to.not.include('0.995');
      expect(container(set).ports![0]!.containerPort).to.equal(9000);
    });

    it('image.tag=1 (a number to --set) is the tag "1"', async () => {
      expect(container(await helmTemplate({ extraArgs: ['--set', 'image.tag=1'] })).image).to.equal('ghcr.io/redline-dev/redline:1');
    });

    it('resources.limits.cpu=null removes the CPU limit and keeps the memory limit', async () => {
      const resources = container(await helmTemplate({ extraArgs: ['--set', 'resources.limits.cpu=null'] })).resources;
      expect(resources).to.deep.equal({ requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '256Mi' } });
    });

    it('simulation values from a values file keep the form the service reads (no 1e+06, no 1e-05)', async () => {
      const env = container(
        await helmTemplate({
          extraArgs: ['--set-json', 'simulation.env={"SIM_SEED": 4000000000, "SIM_ERROR_RATE": 0.00001, "SIM_LATENCY_FACTOR": 2}'],
        }),
      ).env!;
      const sim = Object.fromEntries(env.filter((e) => e.name.startsWith('SIM_')).map((e) => [e.name, e.value]));
      expect(sim).to.deep.equal({ SIM_SEED: '4000000000', SIM_ERROR_RATE: '0.00001', SIM_LATENCY_FACTOR: '2' });
      expect(() => loadConfig(sim as Record<string, string>)).to.not.throw();
    });
  });

  describe('contradictory or out-of-range values fail helm template, naming the keys', () => {
    const cases: { name: string; args: string[]; message: RegExp }[] = [
      {
        name: 'scrapeTimeout longer than the interval',
        args: ['--set', 'serviceMonitor.interval=30s', '--set', 'serviceMonitor.scrapeTimeout=1m'],
        message: /serviceMonitor\.scrapeTimeout \(1m\) must not exceed serviceMonitor\.interval \(30s\)/,
      },
      {
        name: 'scrapeTimeout longer than the interval, in compound durations',
        args: ['--set', 'serviceMonitor.interval=1m30s', '--set', 'serviceMonitor.scrapeTimeout=1m30s500ms'],
        message: /serviceMonitor\.scrapeTimeout \(1m30s500ms\) must not exceed serviceMonitor\.interval \(1m30s\)/,
      },
      {
        name: 'HPA minReplicas above maxReplicas',
        args: ['--set', 'autoscaling.enabled=true', '--set', 'autoscaling.minReplicas=5', '--set', 'autoscaling.maxReplicas=3'],
        message: /autoscaling\.minReplicas \(5\) must not exceed autoscaling\.maxReplicas \(3\)/,
      },
      {
        name: 'PDB minAvailable above replicaCount',
        args: ['--set', 'podDisruptionBudget.enabled=true', '--set', 'podDisruptionBudget.minAvailable=3', '--set', 'replicaCount=2'],
        message: /podDisruptionBudget\.minAvailable \(3\) must not exceed replicaCount \(2\)/,
      },
      {
        name: 'PDB minAvailable above the HPA minReplicas',
        args: [
          '--set',
          'podDisruptionBudget.enabled=true',
          '--set',
          'podDisruptionBudget.minAvailable=4',
          '--set',
          'autoscaling.enabled=true',
          '--set',
          'autoscaling.minReplicas=3',
        ],
        message: /podDisruptionBudget\.minAvailable \(4\) must not exceed autoscaling\.minReplicas \(3\)/,
      },
      {
        name: 'metrics.port equal to service.port',
        args: ['--set', 'metrics.port=8080'],
        message: /metrics\.port \(8080\) must differ from service\.port \(8080\)/,
      },
      {
        name: 'SIM_ERROR_RATE above 1 (a number)',
        args: ['--set', 'simulation.env.SIM_ERROR_RATE=5'],
        message: /\/simulation\/env\/SIM_ERROR_RATE/,
      },
      {
        name: 'SIM_ERROR_RATE above 1 (a string)',
        args: ['--set-string', 'simulation.env.SIM_ERROR_RATE=1.5'],
        message: /\/simulation\/env\/SIM_ERROR_RATE/,
      },
      {
        name: 'SIM_ERROR_RATE below 0',
        args: ['--set-string', 'simulation.env.SIM_ERROR_RATE=-0.1'],
        message: /\/simulation\/env\/SIM_ERROR_RATE/,
      },
      {
        name: 'a misspelt SIM_* variable',
        args: ['--set', 'simulation.env.SIM_CHEKOUT_MEDIAN_MS=100'],
        message: /additional properties 'SIM_CHEKOUT_MEDIAN_MS' not allowed/,
      },
      {
        name: 'an objective given as a percentage string',
        args: ['--set', 'slo.availability.objective=99.9'],
        message: /\/slo\/availability\/objective/,
      },
      {
        name: 'a latency threshold string off the bucket boundaries',
        args: ['--set', 'slo.latency.thresholdSeconds=0.3'],
        message: /\/slo\/latency\/thresholdSeconds/,
      },
      { name: 'a port string out of range', args: ['--set-string', 'service.port=70000'], message: /\/service\/port/ },
      {
        name: 'a load generator rate string above 1000',
        args: ['--set', 'loadgen.rate=5000.5'],
        message: /loadgen\.rate \(5000\.5\) must be at most 1000/,
      },
      { name: 'a replica count that is not a number', args: ['--set-string', 'replicaCount=two'], message: /\/replicaCount/ },
    ];
    for (const c of cases) {
      it(c.name, async () => {
        const error = await templateError(c.args);
        expect(error, 'helm template should fail').to.be.instanceOf(HelmError);
        expect(error!.stderr).to.match(c.message);
      });
    }

    const accepted: { name: string; args: string[] }[] = [
      {
        name: 'scrapeTimeout equal to the interval',
        args: ['--set', 'serviceMonitor.interval=10s', '--set', 'serviceMonitor.scrapeTimeout=10s'],
      },
      {
        name: 'PDB minAvailable equal to the replicas',
        args: ['--set', 'podDisruptionBudget.enabled=true', '--set', 'podDisruptionBudget.minAvailable=2', '--set', 'replicaCount=2'],
      },
      {
        name: 'PDB minAvailable as a percentage',
        args: ['--set', 'podDisruptionBudget.enabled=true', '--set', 'podDisruptionBudget.minAvailable=50%', '--set', 'replicaCount=1'],
      },
      {
        name: 'a contradiction in a feature that is off (ServiceMonitor off)',
        args: ['--set', 'serviceMonitor.enabled=false', '--set', 'serviceMonitor.scrapeTimeout=1m'],
      },
    ];
    for (const c of accepted) {
      it(`accepts ${c.name}`, async () => {
        expect(await templateError(c.args)).to.equal(undefined);
      });
    }
  });

  describe('simulation.env accepts exactly what the service accepts', () => {
    // Boundaries and near misses of each kind of range: [0, 1], [0, 100], [0, 30000], integers.
    const samples: [string, string][] = [
      ['SIM_ERROR_RATE', '0'],
      ['SIM_ERROR_RATE', '1'],
      ['SIM_ERROR_RATE', '1.0'],
      ['SIM_ERROR_RATE', '1.01'],
      ['SIM_ERROR_RATE', '0.999'],
      ['SIM_ERROR_RATE', '.5'],
      ['SIM_ERROR_RATE', 'abc'],
      ['SIM_LATENCY_FACTOR', '100'],
      ['SIM_LATENCY_FACTOR', '100.5'],
      ['SIM_LATENCY_FACTOR', '99.99'],
      ['SIM_LATENCY_FACTOR', '007'],
      ['SIM_CHECKOUT_MEDIAN_MS', '30000'],
      ['SIM_CHECKOUT_P99_MS', '30000.1'],
      ['SIM_GET_ITEM_ERROR_RATE', '0.5'],
      ['SIM_SEED', '4294967295'],
      ['SIM_SEED', '4294967296'],
      ['SIM_SEED', '1.5'],
    ];
    for (const [name, value] of samples) {
      it(`${name}=${value}`, async () => {
        let serviceAccepts = true;
        try {
          // The checkout median must stay under its p99: give the pair room when testing one of them.
          loadConfig({ [name]: value, ...(name === 'SIM_CHECKOUT_MEDIAN_MS' ? { SIM_CHECKOUT_P99_MS: '30000' } : {}) });
        } catch (error) {
          if (!(error instanceof ConfigError)) throw error;
          serviceAccepts = false;
        }
        const error = await templateError(['--set-string', `simulation.env.${name}=${value}`]);
        expect(error === undefined, `chart ${error ? 'refuses' : 'accepts'}, service ${serviceAccepts ? 'accepts' : 'refuses'}`).to.equal(
          serviceAccepts,
        );
      });
    }
  });
});
