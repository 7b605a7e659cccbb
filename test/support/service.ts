// The real service for tests: see scripts/lib/service-process.ts.
export { startService, spawnNode, serviceEntry, loadgenEntry, type RunningService } from '../../scripts/lib/service-process.ts';
