import type { ChildProcess } from 'node:child_process';

/**
 * Asks a child process to stop (SIGTERM) and waits until it has exited; one still running after `graceMs` is
 * killed. A process that already exited resolves at once.
 */
export async function stopProcess(child: ChildProcess, graceMs = 25_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const killer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(killer);
}
