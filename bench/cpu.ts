// How much of the server's core, and of dnsperf's, went to other processes during a run. On a
// shared machine a busy neighbour lowers one figure and not another; this says when it happened.
import { readFileSync } from 'node:fs';

const TICK_MS = 10; // USER_HZ is 100 on every Linux that matters

export interface CpuSample {
  at: number;
  /** user + nice + system ticks of the CPU. */
  cpuBusy: number;
  /** utime + stime ticks of the server process (all its threads). */
  procBusy: number;
}

/**
 * Tasks whose ticks count with the server's (`plus`: helpers of the run on that CPU, e.g. the health
 * target beside dnsperf) or not (`minus`: a thread of the server that runs on another CPU), as
 * /proc stat paths.
 */
export interface Adjust {
  plus?: string[];
  minus?: string[];
}

export function sample(
  cpu: number,
  pid: number,
  field = 11,
  adjust: Adjust = {},
): CpuSample | null {
  try {
    const line = readFileSync('/proc/stat', 'utf8')
      .split('\n')
      .find((l) => l.startsWith(`cpu${cpu} `));
    if (!line) return null;
    const c = line.trim().split(/\s+/).map(Number);
    // utime and stime are fields 11 and 12 after the command name, cutime and cstime (reaped
    // children) 13 and 14; `field` is the first of a pair.
    const p = statFields(`/proc/${pid}/stat`);
    const own = p[field]! + p[field + 1]!;
    const plus = (adjust.plus ?? []).reduce((n, path) => n + taskTicks(path), 0);
    const minus = (adjust.minus ?? []).reduce((n, path) => n + taskTicks(path), 0);
    return { at: Date.now(), cpuBusy: c[1]! + c[2]! + c[3]!, procBusy: own + plus - minus };
  } catch {
    return null;
  }
}

/**
 * The same for the load generator's CPU, whose process has exited by the end of the run: its
 * ticks are counted as this process's reaped children (cutime + cstime; taskset execs dnsperf,
 * so the child is dnsperf). No other child of the bench exits during a run.
 */
export function sampleChildren(cpu: number, adjust: Adjust = {}): CpuSample | null {
  return sample(cpu, process.pid, 13, adjust);
}

/** utime + stime of one task (a process, or a thread: /proc/PID/task/TID/stat). */
function taskTicks(path: string): number {
  const f = statFields(path);
  return f[11]! + f[12]!;
}

/** The numeric fields of a /proc stat file after the command name (which may hold spaces). */
function statFields(path: string): number[] {
  const stat = readFileSync(path, 'utf8');
  return stat
    .slice(stat.lastIndexOf(')') + 2)
    .split(' ')
    .map(Number);
}

/** Share of wall time the CPU spent on processes other than the server, 0-1. */
export function otherShare(a: CpuSample | null, b: CpuSample | null): number | null {
  if (!a || !b || b.at <= a.at) return null;
  const other = (b.cpuBusy - a.cpuBusy - (b.procBusy - a.procBusy)) * TICK_MS;
  return Math.max(0, other / (b.at - a.at));
}
