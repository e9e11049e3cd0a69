// What the bench sends and how hard. Rows of the report are scenario x transport x load, so new
// traffic is one more entry here.
import { SIGNED_ORIGIN } from './dnssec.js';
import { ecs24, prng, publicNetworks24, queryMessage } from './messages.js';

export type Transport = 'udp' | 'tcp';

export interface Scenario {
  name: string;
  /** One line for the report. */
  description: string;
  /**
   * dnsperf input, one query per line ("name TYPE"). Queries that need per-query EDNS options
   * (ECS from many subnets) cannot be written this way; give `wire` instead.
   */
  lines?: string[];
  /** Whole DNS messages, sent through dnsperf's binary input format (-B); built when first read. */
  readonly wire?: Uint8Array[];
  /** Extra dnsperf arguments for every run of this scenario, e.g. ['-e'] for EDNS. */
  dnsperfArgs?: string[];
  transports: Transport[];
  /**
   * What a geosteer row is compared with. `knot`: Knot serves the same names in the same run.
   * `static`: Knot has no steering, so only geosteer runs, at max load, and its qps is compared
   * with its own `static` row of the same transport from the same run.
   */
  baseline: 'knot' | 'static';
  /** Judged against DYNAMIC_TARGET_RATIO (the others are there to explain the judged ones). */
  judged?: boolean;
  /**
   * Before the load, each distinct message is asked once (cycling to at least 600 queries, so a
   * rotation shows its proportions) and the answers summarised in the report; `located` requires that some answers depend on the client's network (ECS scope
   * above /0), which they only do when the GeoIP database is open.
   */
  check?: 'answers' | 'located';
  /** False: no warm-up run (it would only fill caches the scenario means to miss). */
  warmup?: false;
  /** Measured runs last at most this long (BENCH_SECONDS, if shorter, wins). */
  maxSeconds?: number;
  /**
   * Run with this many HTTP probes going (bench/health.ts), on the single-process geosteer only,
   * and compare its qps with the scenario named by `against` on the same server in the same run:
   * judged against PROBES_TARGET_RATIO.
   */
  probes?: number;
  against?: string;
  /**
   * Run on three geosteer servers (bench/setup.ts serverSpecs): with RRL and cookies off, with
   * the defaults (RRL on, loopback exempt), and with RRL counting every loopback query (a rate
   * above the load, so it measures the bookkeeping) and a cookie secret; judged against
   * PROTECTION_TARGET_RATIO (the qps of each / the qps with both off, same run).
   */
  protection?: true;
  /**
   * Run on the answer-thread servers too (bench/setup.ts: `geosteer -t2` and `-tN`,
   * N = cores - 1, on CPUs 0..N-1, dnsperf on the last core), with `clients` sockets: the
   * kernel spreads datagrams over the threads' sockets by source port, so one socket would reach
   * one thread.
   */
  threads?: { clients: number };
}

/**
 * How dnsperf drives the server. `max` keeps a fixed number of queries outstanding, so it measures
 * throughput (and by Little's law mean latency = outstanding / qps). `paced` caps the rate at a
 * fraction of Knot's `max` result from the same run: the load at which the target is judged.
 */
/**
 * A dnsperf load: as many queries as the server takes (`max`), or `paced` at a share of a max
 * measured just before it in the same scenario: Knot's, or the first server's (the main thread's,
 * for the threads scenario, where Knot does not run).
 */
export type Load =
  | { name: 'max'; clients: number; outstanding: number }
  | {
      name: 'paced';
      clients: number;
      outstanding: number;
      fraction: number;
      of: 'knot' | 'first';
    };

/** The target from the issue: geosteer at least this fraction of Knot's qps, UDP, static names. */
export const TARGET_RATIO = 0.4;
export const TARGET_LATENCY_S = 0.002;
/** Steered names: geosteer at least this fraction of its own static-name qps from the same run. */
export const DYNAMIC_TARGET_RATIO = 0.8;
/** Issue #4: 500 probes running move the dynamic-name figure by at most 10 %. */
export const PROBES_TARGET_RATIO = 0.9;
const PROBES = 500;
/** Issue #9: RRL and cookies on cost at most 10 % of qps. */
export const PROTECTION_TARGET_RATIO = 0.9;

const ZONE = 'gslb.example.com';
const A = 1;
/**
 * Client networks of the ECS scenarios. WARM: a few thousand, so after warm-up every cache per
 * client network holds them all, as the resolvers of a real service mostly repeat. COLD: four
 * times what the per-network caches hold (the GeoIP locator's geoip.cache_size and the handler's
 * replies per network, 65,536 each), sent in a cycle, so with oldest-first eviction every query
 * comes from a network no cache holds: a restart, a GeoIP reload, or a flood of made-up subnets.
 * The worst case, not a target.
 */
const WARM_NETWORKS = 4096;
const COLD_NETWORKS = 262_144;
/** Seeds of the PRNG: the cold set is drawn apart, so it does not start with the warm networks. */
const WARM_SEED = 0x5eed;
const COLD_SEED = 0xc01d;

/** ECS queries for `name`, one per network, each network once. Built on first use. */
function ecsQueries(
  name: string,
  count: number,
  seed: number,
  dnssecOk = false,
): () => Uint8Array[] {
  let built: Uint8Array[] | null = null;
  return () =>
    (built ??= withNetworks(queryMessage(name, A, { ecs: ecs24(0), dnssecOk }), count, seed));
}

/** Copies of `template` (an ECS query for 0.0.0.0/24) for `count` networks: the last three octets. */
function withNetworks(template: Uint8Array, count: number, seed: number): Uint8Array[] {
  return publicNetworks24(count, seed).map((n) => {
    const m = template.slice();
    m.set(ecs24(n).subarray(4), m.length - 3);
    return m;
  });
}

const warmWww = ecsQueries(`www.${ZONE}`, WARM_NETWORKS, WARM_SEED);
const coldWww = ecsQueries(`www.${ZONE}`, COLD_NETWORKS, COLD_SEED);
const warmStatic = ecsQueries(`static.${ZONE}`, WARM_NETWORKS, WARM_SEED);
const warmSignedWww = ecsQueries(`www.${SIGNED_ORIGIN}`, WARM_NETWORKS, WARM_SEED, true);

/** Static names with a client cookie each (1,024 clients): every reply carries a new cookie. */
function cookieQueries(): () => Uint8Array[] {
  let built: Uint8Array[] | null = null;
  return () => {
    if (built) return built;
    const rng = prng(0xc00c1e);
    const names = [`static.${ZONE}`, `nothere.${ZONE}`, ZONE];
    built = Array.from({ length: 1024 }, (_, i) =>
      queryMessage(names[i % names.length]!, A, {
        udpSize: 1232,
        cookie: Uint8Array.from({ length: 8 }, () => Math.floor(rng() * 256)),
      }),
    );
    return built;
  };
}
const cookieStatic = cookieQueries();

/** The static names: one of each kind of answer (A, AAAA, MX, TXT, NXDOMAIN, CNAME chain). */
const STATIC_LINES = [
  `static.${ZONE} A`,
  `static.${ZONE} AAAA`,
  `${ZONE} MX`,
  `${ZONE} TXT`,
  `nothere.${ZONE} A`,
  `chain.${ZONE} A`,
];

export const SCENARIOS: Scenario[] = [
  {
    name: 'static',
    description: `static names in ${ZONE}: A, AAAA, MX, TXT, NXDOMAIN, CNAME chain (no EDNS)`,
    lines: STATIC_LINES,
    transports: ['udp', 'tcp'],
    baseline: 'knot',
  },
  {
    name: 'threads',
    description:
      'the static names from 16 sockets, on the main thread and on answer threads: scaling, and the CPU a query costs with the thread machinery',
    lines: STATIC_LINES,
    transports: ['udp'],
    baseline: 'static',
    threads: { clients: 16 },
  },
  {
    name: 'static-edns',
    description: 'the same names with EDNS (4096) and DO, as resolvers send them',
    lines: STATIC_LINES,
    dnsperfArgs: ['-D'],
    transports: ['udp'],
    baseline: 'knot',
  },
  {
    name: 'static-ecs',
    description: `static.${ZONE} A with ECS from ${fmt(WARM_NETWORKS)} /24s: the cost of the ECS echo alone`,
    get wire() {
      return warmStatic();
    },
    transports: ['udp'],
    baseline: 'static',
    check: 'answers',
  },
  {
    name: 'rrl',
    description:
      'the static-edns names on geosteer with RRL and cookies off, the defaults, and RRL ' +
      'counting every query (loopback not exempt, a rate above the load): its bookkeeping cost',
    lines: STATIC_LINES,
    dnsperfArgs: ['-D'],
    transports: ['udp'],
    baseline: 'static',
    protection: true,
  },
  {
    name: 'cookies',
    description:
      'static names with a COOKIE (client cookies of 1,024 clients): each reply makes a ' +
      'SipHash-2-4 server cookie (RFC 9018); on the same three servers as rrl',
    get wire() {
      return cookieStatic();
    },
    transports: ['udp'],
    baseline: 'static',
    protection: true,
  },
  {
    name: 'dnssec-static',
    description:
      `the static names in ${SIGNED_ORIGIN} (the same zone, signed: dnssec:) with EDNS and DO: ` +
      'RRSIGs, compact NXDOMAIN; compare with static-edns (DO, unsigned zone)',
    lines: STATIC_LINES.map((l) => l.replaceAll(ZONE, SIGNED_ORIGIN)),
    dnsperfArgs: ['-D'],
    transports: ['udp'],
    baseline: 'static',
  },
  {
    name: 'dnssec-nearest-ecs',
    description:
      `as nearest-ecs on www.${SIGNED_ORIGIN} with DO: each site's answer signed once, ` +
      'then served from the memo; compare with nearest-ecs',
    get wire() {
      return warmSignedWww();
    },
    transports: ['udp'],
    baseline: 'static',
  },
  {
    name: 'weighted',
    description: `api.${ZONE} A (steer: weighted 3:2:1, one address per answer; no EDNS)`,
    lines: [`api.${ZONE} A`],
    transports: ['udp'],
    baseline: 'static',
    judged: true,
    check: 'answers',
  },
  {
    name: 'weighted-probed',
    description:
      `as weighted, with ${PROBES} HTTP probes running (every address of the zone probed, ` +
      "api's sites among them, each once a second): the cost of health checking",
    lines: [`api.${ZONE} A`],
    transports: ['udp'],
    baseline: 'static',
    probes: PROBES,
    against: 'weighted',
  },
  {
    name: 'nearest-ecs',
    description:
      `www.${ZONE} A (steer: nearest) with ECS from ${fmt(WARM_NETWORKS)} /24s spread over ` +
      'the public IPv4 space (seeded PRNG), each once per cycle; caches warm after warm-up',
    get wire() {
      return warmWww();
    },
    transports: ['udp'],
    baseline: 'static',
    judged: true,
    check: 'located',
  },
  {
    name: 'nearest-ecs-cold',
    description:
      `as nearest-ecs from ${fmt(COLD_NETWORKS)} /24s, 4x what the per-network caches hold: ` +
      'every query misses them (worst case, not judged)',
    get wire() {
      return coldWww();
    },
    transports: ['udp'],
    baseline: 'static',
    // Steady and slow: a shorter run says as much, and keeps the whole bench near 3 minutes.
    warmup: false,
    maxSeconds: 5,
  },
];

function fmt(n: number): string {
  return n.toLocaleString('en-US');
}

/** One client socket (or TCP connection) with 100 queries in flight keeps one core busy. */
export const LOADS: Load[] = [
  { name: 'max', clients: 1, outstanding: 100 },
  { name: 'paced', clients: 1, outstanding: 100, fraction: TARGET_RATIO, of: 'knot' },
];

/**
 * The threads scenario: from 16 sockets (the kernel spreads datagrams over the threads' sockets
 * by source port), at max and paced at a quarter of the main thread's max. With two answer
 * threads on one core (a 2-core host, dnsperf on the other) a max load keeps both threads' loops
 * busy on that core, so the kernel switches between them; the paced load measures what the
 * thread machinery costs per query (issue #11: at most 5 %), as scripts/cpu-per-query.sh does.
 */
export const THREAD_LOADS: Load[] = [
  { name: 'max', clients: 16, outstanding: 100 },
  { name: 'paced', clients: 16, outstanding: 100, fraction: 0.25, of: 'first' },
];
