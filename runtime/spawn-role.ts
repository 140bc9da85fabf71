import { spawn, type ChildProcess } from 'node:child_process';
import type { Role } from './roles.js';

export interface SpawnRoleOptions {
  /** Where the process's stdout (its JSON log) goes; dropped when unset. */
  stdout?: NodeJS.WritableStream;
  timeoutMs?: number;
}

/**
 * `main.ts --role <role>` as a child process of its own (so it can be killed, or measured, apart from its parent),
 * resolved once it says it is running. node itself is the child, not npx or tsx's wrapper: its pid is the process
 * doing the work, and a signal reaches NEXUS directly. Tests and the multi-process bench start roles with it.
 */
export async function spawnRole(role: Role, env: NodeJS.ProcessEnv, options: SpawnRoleOptions = {}): Promise<ChildProcess> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const child = spawn(process.execPath, ['--import', 'tsx', 'main.ts', '--role', role], { env, stdio: ['ignore', options.stdout ? 'pipe' : 'ignore', 'pipe'] });
  if (options.stdout) child.stdout?.pipe(options.stdout);
  await new Promise<void>((resolve, reject) => {
    // Only the tail is kept for the error message; a chatty process must not grow this without bound.
    let stderr = '';
    const timer = setTimeout(() => reject(new Error(`the ${role} process did not start within ${timeoutMs / 1000} s: ${stderr}`)), timeoutMs);
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-4_000);
      if (stderr.includes('NEXUS is running')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the ${role} process exited with ${code}: ${stderr}`));
    });
  });
  return child;
}
