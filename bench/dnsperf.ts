// Run Debian's dnsperf (2.x) once and read its summary.
import { Proc } from './proc.js';

export interface DnsperfResult {
  sent: number;
  completed: number;
  lost: number;
  qps: number;
  /** Seconds, as dnsperf prints them. */
  latencyMean: number;
  latencyMin: number;
  latencyMax: number;
  latencyStdDev: number;
  /** "NOERROR 90108 (83.33%), NXDOMAIN 18021 (16.67%)": the rcode mix, to compare servers. */
  rcodes: string;
}

export interface DnsperfRun {
  port: number;
  dataFile: string;
  transport: 'udp' | 'tcp';
  seconds: number;
  clients: number;
  outstanding: number;
  /** Queries per second cap (-Q); none for a max-throughput run. */
  rate?: number;
  /** CPU list for taskset. */
  cpus: string;
  extraArgs?: string[];
}

export function dnsperfArgs(run: DnsperfRun): string[] {
  return [
    ...['-s', '127.0.0.1', '-p', String(run.port), '-d', run.dataFile, '-m', run.transport],
    ...['-l', String(run.seconds), '-c', String(run.clients), '-q', String(run.outstanding)],
    ...(run.rate ? ['-Q', String(Math.round(run.rate))] : []),
    ...(run.extraArgs ?? []),
  ];
}

export async function runDnsperf(
  run: DnsperfRun,
  track: (p: Proc, alive: boolean) => void,
): Promise<DnsperfResult> {
  const p = Proc.spawn('dnsperf', 'taskset', ['-c', run.cpus, 'dnsperf', ...dnsperfArgs(run)]);
  track(p, true);
  try {
    const code = await p.exited;
    const out = p.output();
    if (code !== 0) throw new Error(`dnsperf exited with ${code}:\n${out}`);
    return parseDnsperf(out);
  } finally {
    track(p, false);
  }
}

/**
 * Parse the "Statistics:" block. Over TCP dnsperf appends "Connection Statistics:" with its own
 * "Average Latency" line (connection set-up time), so everything from there on is ignored.
 */
export function parseDnsperf(output: string): DnsperfResult {
  const start = output.indexOf('Statistics:');
  const end = output.indexOf('Connection Statistics:');
  if (start < 0) throw new Error(`no statistics in dnsperf output:\n${output}`);
  const text = output.slice(start, end > start ? end : undefined);
  const field = (label: string, pattern = '([0-9.]+)'): RegExpMatchArray => {
    const m = text.match(new RegExp(`^\\s*${label}:\\s+${pattern}`, 'm'));
    if (!m) throw new Error(`dnsperf output has no "${label}":\n${output}`);
    return m;
  };
  const latency = field('Average Latency \\(s\\)', '([0-9.]+) \\(min ([0-9.]+), max ([0-9.]+)\\)');
  return {
    sent: Number(field('Queries sent')[1]),
    completed: Number(field('Queries completed')[1]),
    lost: Number(field('Queries lost')[1]),
    qps: Number(field('Queries per second')[1]),
    latencyMean: Number(latency[1]),
    latencyMin: Number(latency[2]),
    latencyMax: Number(latency[3]),
    latencyStdDev: Number(field('Latency StdDev \\(s\\)')[1]),
    rcodes: text.match(/^\s*Response codes:\s+(.*)$/m)?.[1]?.trim() ?? '',
  };
}
