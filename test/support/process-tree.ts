import { readdirSync, readFileSync } from 'node:fs';

/** Every process below `pid`, from /proc (Linux). */
export function descendants(pid: number): number[] {
  const parents = new Map<number, number[]>();
  for (const entry of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parents.set(ppid, [...(parents.get(ppid) ?? []), Number(entry)]);
    } catch {
      // gone meanwhile
    }
  }
  const found: number[] = [];
  const walk = (p: number) => { for (const child of parents.get(p) ?? []) { found.push(child); walk(child); } };
  walk(pid);
  return found;
}

/** A process's command line as its arguments ([] once it is gone). */
export function commandLine(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter((a) => a !== '');
  } catch {
    return [];
  }
}

export const alive = (pid: number) => { try { process.kill(pid, 0); return true; } catch { return false; } };
