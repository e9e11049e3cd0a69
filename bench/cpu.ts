// How much of the server's core went to other processes during a run. On a shared machine a
// busy neighbour lowers one server's figure and not the other's; this says when that happened.
import { readFileSync } from 'node:fs';

const TICK_MS = 10; // USER_HZ is 100 on every Linux that matters

export interface CpuSample {
  at: number;
  /** user + nice + system ticks of the CPU. */
  cpuBusy: number;
  /** utime + stime ticks of the server process (all its threads). */
  procBusy: number;
}

export function sample(cpu: number, pid: number): CpuSample | null {
  try {
    const line = readFileSync('/proc/stat', 'utf8')
      .split('\n')
      .find((l) => l.startsWith(`cpu${cpu} `));
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    if (!line) return null;
    const c = line.trim().split(/\s+/).map(Number);
    // Fields after the ")" that ends the command name: utime and stime are the 12th and 13th.
    const p = stat
      .slice(stat.lastIndexOf(')') + 2)
      .split(' ')
      .map(Number);
    return { at: Date.now(), cpuBusy: c[1]! + c[2]! + c[3]!, procBusy: p[11]! + p[12]! };
  } catch {
    return null;
  }
}

/** Share of wall time the CPU spent on processes other than the server, 0-1. */
export function otherShare(a: CpuSample | null, b: CpuSample | null): number | null {
  if (!a || !b || b.at <= a.at) return null;
  const other = (b.cpuBusy - a.cpuBusy - (b.procBusy - a.procBusy)) * TICK_MS;
  return Math.max(0, other / (b.at - a.at));
}
