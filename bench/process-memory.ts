import { readFileSync } from 'node:fs';

/** Resident memory of a process right now, in KB, from /proc (Linux): what the kernel charges it, garbage included. */
export function rssKb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const line = /^VmRSS:\s+(\d+) kB$/m.exec(status);
  if (!line?.[1]) throw new Error(`no VmRSS in /proc/${pid}/status (has the process exited?)`);
  return Number(line[1]);
}

/** This process's soft limit on open files (`ulimit -n`), which the role processes it spawns inherit. */
export function openFilesLimit(): number {
  const line = /^Max open files\s+(\S+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
  return line?.[1] === undefined || line[1] === 'unlimited' ? Number.POSITIVE_INFINITY : Number(line[1]);
}
