// Runs a real promtool (the one on PATH, or the given binary) and returns its exit code and output.
import { execFile } from 'node:child_process';

export interface ToolResult {
  code: number;
  output: string;
}

export function promtool(args: string[], binary = 'promtool'): Promise<ToolResult> {
  return new Promise((resolve, reject) => {
    execFile(binary, args, { maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') return reject(error);
      resolve({ code: typeof error?.code === 'number' ? error.code : 0, output: `${stdout}${stderr}` });
    });
  });
}
