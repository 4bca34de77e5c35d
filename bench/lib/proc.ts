/** What Linux says about a process: resident memory and CPU time, read from /proc. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface ProcessMemory {
  /** Resident set size now, bytes (VmRSS). */
  rss: number;
  /** Peak resident set size, bytes (VmHWM). */
  peakRss: number;
}

/** VmRSS and VmHWM of `pid`, in bytes. */
export function processMemory(pid: number): ProcessMemory {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => {
    const m = new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, 'm').exec(status);
    if (!m) throw new Error(`/proc/${pid}/status has no ${field}`);
    return Number(m[1]) * 1024;
  };
  return { rss: kb('VmRSS'), peakRss: kb('VmHWM') };
}

let ticksPerSecond: number | null = null;

/** User + system CPU time `pid` has used so far, ms. */
export function cpuTimeMs(pid: number): number {
  ticksPerSecond ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Field 2 (comm) may hold spaces; utime and stime are fields 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / ticksPerSecond;
}

/** The 1-minute load average and the number of CPUs, to tell a reader how busy the machine was. */
export function machineLoad(): { load1: number; cpus: number } {
  const load1 = Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
  const cpus = readFileSync('/proc/cpuinfo', 'utf8').split('\n').filter((l) => l.startsWith('processor')).length;
  return { load1, cpus };
}

export function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}
