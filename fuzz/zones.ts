// The zones the fuzzer's server serves: the end-to-end suites' zones (CNAME chains, wildcards,
// delegations, big TXT sets for truncation) plus fuzz.test, with steered names so the memo's
// per-network and per-address paths and the ECS scope echo are exercised, and `probe`, the
// known-good name the fuzzer asks between cases to prove the server still answers.
import { ALL_ZONES } from '../test/helpers/zones.js';

export const PROBE_NAME = 'probe.fuzz.test';
export const PROBE_ADDRESS = '192.0.2.200';

const FUZZ_TEST = `
zone: fuzz.test
ttl: 60
nameservers:
  ns1.fuzz.test: [192.0.2.53, 2001:db8::53]
records:
  probe:
    A: [${PROBE_ADDRESS}]
  w:
    steer: weighted
    sites: { a: 3, b: 2, c: 1 }
  w2:
    steer: weighted
    sites: { a: 1, b: 1 }
    answers: 2
  f:
    steer: failover
    groups: [[a], [b, c]]
  n:
    steer: nearest
    sites: [a, b, c]
  s:
    steer: sticky
    sites: [a, b, c]
  g:
    steer: geo
    rules:
      - { subnet: [198.51.100.0/24, 2001:db8:100::/48], sites: [b] }
      - { subnet: [10.0.0.0/8], sites: [c] }
      - { default: true, sites: [a] }
  alias:
    CNAME: w
  chain:
    CNAME: g
sites:
  a:
    location: { lat: 50.11, lon: 8.68 }
    addresses: [192.0.2.10, 192.0.2.11, '2001:db8:a::1']
  b:
    location: { lat: 39.04, lon: -77.49 }
    addresses: [198.51.100.10, '2001:db8:b::1']
  c:
    location: { lat: 1.35, lon: 103.82 }
    addresses: [203.0.113.10]
`;

export const FUZZ_ZONES: Record<string, string> = { ...ALL_ZONES, 'fuzz.test.yaml': FUZZ_TEST };

/** Names the generators ask for: in a zone, steered, delegated, wildcard, and in no zone. */
export const NAMES = [
  'www.example.test',
  'example.test',
  'mail.example.test',
  'alias.example.test',
  'chain.example.test',
  'loop1.example.test',
  'dangling.example.test',
  'outside.example.test',
  'x.wild.example.test',
  'ent.example.test',
  'b.ent.example.test',
  '_sip._tcp.example.test',
  'child.example.test',
  'x.child.example.test',
  'huge.example.test',
  'big.example.test',
  'nope.example.test',
  'www.nested.example.test',
  'www.other.test',
  'fuzz.test',
  'w.fuzz.test',
  'w2.fuzz.test',
  'f.fuzz.test',
  'n.fuzz.test',
  's.fuzz.test',
  'g.fuzz.test',
  'alias.fuzz.test',
  'chain.fuzz.test',
  'missing.fuzz.test',
  // In no zone: REFUSED, with EDE 20 when the query has EDNS.
  'www.elsewhere.net',
  'test',
  'example.com',
  '',
];
