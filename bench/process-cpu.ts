import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

let ticksPerSecond: number | undefined;

/** What /proc says of a process: its CPU seconds so far, and when it started (which, with its pid, names it). */
export interface ProcessTimes {
  cpu: number;
  started: string;
}

/** A process's CPU (user + system, its threads included) and start time, from /proc/<pid>/stat (Linux). */
export function processTimes(pid: number): ProcessTimes {
  ticksPerSecond ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces), from field 3 on: utime is field 14, stime field 15,
  // starttime field 22.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { cpu: (Number(fields[11]) + Number(fields[12])) / ticksPerSecond, started: fields[19] ?? '' };
}

/** CPU seconds a process has used so far (user + system, its threads included). */
export function cpuSeconds(pid: number): number {
  return processTimes(pid).cpu;
}
