// prom-client's default process metrics, made here with its public Gauge and Counter: the same
// names, help texts and labels its collectDefaultMetrics registers, read at scrape time, less the
// two that watch the process all the time (the GC duration histogram, a PerformanceObserver called
// on every GC, and the event-loop delay histogram, a 10 ms timer: 2 to 7% of qps under dnsperf).
// collectDefaultMetrics has no way to leave those two out, and its per-metric modules are not
// part of its API (issue 10), so the few lines each takes are written here. Linux figures come
// from /proc, as prom-client reads them: a virtual file system that never blocks.
import { readdirSync, readFileSync } from 'node:fs';
import { getHeapSpaceStatistics } from 'node:v8';
import { Counter, Gauge, type Registry } from 'prom-client';

/** Rounded as prom-client rounds it, once per process. */
const START_SECONDS = Math.round(Date.now() / 1000 - process.uptime());

interface NodeInternals {
  _getActiveHandles?: () => unknown[];
  _getActiveRequests?: () => unknown[];
}

/** Counts of a list by its elements' constructor names (libuv handles and requests). */
function byConstructor(list: readonly unknown[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const x of list) {
    const name = (x as { constructor?: { name: string } } | null)?.constructor?.name;
    if (name !== undefined) out.set(name, (out.get(name) ?? 0) + 1);
  }
  return out;
}

function setByType(gauge: Gauge, counts: ReadonlyMap<string, number>): void {
  gauge.reset();
  for (const [type, n] of counts) gauge.set({ type }, n);
}

/** VmSize, VmRSS and VmData of /proc/self/status, in bytes; null off Linux. */
function procStatus(): Record<string, number> | null {
  try {
    const out: Record<string, number> = {};
    for (const line of readFileSync('/proc/self/status', 'utf8').split('\n')) {
      const m = /^(VmSize|VmRSS|VmData):\s+(\d+) kB/.exec(line);
      if (m) out[m[1]!] = Number(m[2]) * 1024;
    }
    return out;
  } catch {
    return null;
  }
}

function maxFds(): number | null {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const n = line === undefined ? NaN : Number(line.split(/ {2,}/)[1]);
    return Number.isNaN(n) ? null : n;
  } catch {
    return null;
  }
}

export function registerProcessMetrics(registry: Registry): void {
  const registers = [registry];
  let lastCpu = process.cpuUsage();
  const cpuUser: Counter = new Counter({
    name: 'process_cpu_user_seconds_total',
    help: 'Total user CPU time spent in seconds.',
    registers,
    // This one metric's collect sets all three, as prom-client's does.
    collect() {
      const now = process.cpuUsage();
      const user = now.user - lastCpu.user;
      const system = now.system - lastCpu.system;
      lastCpu = now;
      cpuUser.inc(user / 1e6);
      cpuSystem.inc(system / 1e6);
      cpuTotal.inc((user + system) / 1e6);
    },
  });
  const cpuSystem = new Counter({
    name: 'process_cpu_system_seconds_total',
    help: 'Total system CPU time spent in seconds.',
    registers,
  });
  const cpuTotal = new Counter({
    name: 'process_cpu_seconds_total',
    help: 'Total user and system CPU time spent in seconds.',
    registers,
  });

  new Gauge({
    name: 'process_start_time_seconds',
    help: 'Start time of the process since unix epoch in seconds.',
    registers,
    aggregator: 'omit',
    collect() {
      this.set(START_SECONDS);
    },
  });

  const linux = process.platform === 'linux';
  new Gauge({
    name: 'process_resident_memory_bytes',
    help: 'Resident memory size in bytes.',
    registers,
    collect() {
      if (!linux) {
        this.set(process.memoryUsage().rss);
        return;
      }
      const s = procStatus();
      if (!s) return;
      if (s.VmRSS !== undefined) this.set(s.VmRSS);
      if (s.VmSize !== undefined) virtual!.set(s.VmSize);
      if (s.VmData !== undefined) heap!.set(s.VmData);
    },
  });
  const virtual = linux
    ? new Gauge({
        name: 'process_virtual_memory_bytes',
        help: 'Virtual memory size in bytes.',
        registers,
      })
    : null;
  const heap = linux
    ? new Gauge({ name: 'process_heap_bytes', help: 'Process heap size in bytes.', registers })
    : null;

  if (linux)
    new Gauge({
      name: 'process_open_fds',
      help: 'Number of open file descriptors.',
      registers,
      collect() {
        try {
          // Less the descriptor readdirSync itself used (closed by now).
          this.set(readdirSync('/proc/self/fd').length - 1);
        } catch {
          // No /proc: nothing to report.
        }
      },
    });
  const max = maxFds();
  if (max !== null)
    new Gauge({
      name: 'process_max_fds',
      help: 'Maximum number of open file descriptors.',
      registers,
      collect() {
        this.set(max);
      },
    });

  new Gauge({
    name: 'nodejs_active_resources',
    help: 'Number of active resources that are currently keeping the event loop alive, grouped by async resource type.',
    labelNames: ['type'],
    registers,
    collect() {
      const counts = new Map<string, number>();
      for (const r of process.getActiveResourcesInfo()) counts.set(r, (counts.get(r) ?? 0) + 1);
      setByType(this, counts);
    },
  });
  new Gauge({
    name: 'nodejs_active_resources_total',
    help: 'Total number of active resources.',
    registers,
    collect() {
      this.set(process.getActiveResourcesInfo().length);
    },
  });

  const internals = process as unknown as NodeInternals;
  const lists = [
    [
      'handles',
      internals._getActiveHandles,
      'libuv handles grouped by handle type. Every handle type is C++ class name.',
    ],
    [
      'requests',
      internals._getActiveRequests,
      'libuv requests grouped by request type. Every request type is C++ class name.',
    ],
  ] as const;
  for (const [what, list, help] of lists) {
    if (typeof list !== 'function') continue;
    const read = () => list.call(process);
    new Gauge({
      name: `nodejs_active_${what}`,
      help: `Number of active ${help}`,
      labelNames: ['type'],
      registers,
      collect() {
        setByType(this, byConstructor(read()));
      },
    });
    new Gauge({
      name: `nodejs_active_${what}_total`,
      help: `Total number of active ${what}.`,
      registers,
      collect() {
        this.set(read().length);
      },
    });
  }

  new Gauge({
    name: 'nodejs_heap_size_total_bytes',
    help: 'Process heap size from Node.js in bytes.',
    registers,
    collect() {
      const m = process.memoryUsage();
      this.set(m.heapTotal);
      heapUsed.set(m.heapUsed);
      external.set(m.external);
    },
  });
  const heapUsed = new Gauge({
    name: 'nodejs_heap_size_used_bytes',
    help: 'Process heap size used from Node.js in bytes.',
    registers,
  });
  const external = new Gauge({
    name: 'nodejs_external_memory_bytes',
    help: 'Node.js external memory size in bytes.',
    registers,
  });

  const space = (kind: string, collect?: () => void) =>
    new Gauge({
      name: `nodejs_heap_space_size_${kind}_bytes`,
      help: `Process heap space size ${kind} from Node.js in bytes.`,
      labelNames: ['space'],
      registers,
      ...(collect ? { collect } : {}),
    });
  const spaceTotal = space('total', () => {
    for (const h of getHeapSpaceStatistics()) {
      const name = h.space_name.slice(0, h.space_name.indexOf('_space'));
      spaceTotal.set({ space: name }, h.space_size);
      spaceUsed.set({ space: name }, h.space_used_size);
      spaceAvailable.set({ space: name }, h.space_available_size);
    }
  });
  const spaceUsed = space('used');
  const spaceAvailable = space('available');

  const [major = 0, minor = 0, patch = 0] = process.version.slice(1).split('.').map(Number);
  new Gauge({
    name: 'nodejs_version_info',
    help: 'Node.js version info.',
    labelNames: ['version', 'major', 'minor', 'patch'],
    registers,
    aggregator: 'first',
    collect() {
      // Numbers, as prom-client gives them (the JSON form keeps the type).
      this.set({ version: process.version, major, minor, patch }, 1);
    },
  });
}
