// What the bench sends and how hard. Rows of the report are scenario x transport x load, so new
// traffic (issue #3: weighted names, nearest with ECS from many subnets) is one more entry here.

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
  /** Whole DNS messages, sent through dnsperf's binary input format (-B). */
  wire?: Uint8Array[];
  /** Extra dnsperf arguments for every run of this scenario, e.g. ['-e'] for EDNS. */
  dnsperfArgs?: string[];
  transports: Transport[];
}

/**
 * How dnsperf drives the server. `max` keeps a fixed number of queries outstanding, so it measures
 * throughput (and by Little's law mean latency = outstanding / qps). `paced` caps the rate at a
 * fraction of Knot's `max` result from the same run: the load at which the target is judged.
 */
export type Load =
  | { name: 'max'; clients: number; outstanding: number }
  | { name: 'paced'; clients: number; outstanding: number; fractionOfKnot: number };

/** The target from the issue: geosteer at least this fraction of Knot's qps, UDP, static names. */
export const TARGET_RATIO = 0.4;
export const TARGET_LATENCY_S = 0.002;

const ZONE = 'gslb.example.com';

export const SCENARIOS: Scenario[] = [
  {
    name: 'static',
    description: `static names in ${ZONE}: A, AAAA, MX, TXT, NXDOMAIN, CNAME chain (no EDNS)`,
    lines: [
      `static.${ZONE} A`,
      `static.${ZONE} AAAA`,
      `${ZONE} MX`,
      `${ZONE} TXT`,
      `nothere.${ZONE} A`,
      `chain.${ZONE} A`,
    ],
    transports: ['udp', 'tcp'],
  },
  {
    name: 'static-edns',
    description: 'the same names with EDNS (4096) and DO, as resolvers send them',
    lines: [
      `static.${ZONE} A`,
      `static.${ZONE} AAAA`,
      `${ZONE} MX`,
      `${ZONE} TXT`,
      `nothere.${ZONE} A`,
      `chain.${ZONE} A`,
    ],
    dnsperfArgs: ['-D'],
    transports: ['udp'],
  },
];

/** One client socket (or TCP connection) with 100 queries in flight keeps one core busy. */
export const LOADS: Load[] = [
  { name: 'max', clients: 1, outstanding: 100 },
  { name: 'paced', clients: 1, outstanding: 100, fractionOfKnot: TARGET_RATIO },
];
