// Runs scripts/smoke.ts as a real child process and returns its exit code and JSON outcome.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Outcome } from '../../scripts/smoke/report.ts';

const smoke = fileURLToPath(new URL('../../scripts/smoke.ts', import.meta.url));

export interface SmokeRun {
  code: number;
  stdout: string;
  stderr: string;
  outcome: Outcome;
}

export function runSmoke(args: string[], env: Record<string, string> = {}): Promise<SmokeRun> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [smoke, ...args], { env: { ...process.env, ...env }, timeout: 60_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      try {
        const outcome = args.includes('--json') ? (JSON.parse(stdout) as Outcome) : ({} as Outcome);
        resolve({ code, stdout, stderr, outcome });
      } catch {
        reject(new Error(`smoke printed no JSON (exit ${code}):\n${stdout}\n${stderr}`));
      }
    });
  });
}
