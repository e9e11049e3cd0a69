// The `probe:` and `min_healthy:` keys of a site (docs/health.md): what they compile to, with
// every default, and exactly how each mistake is reported (file:line:col, path, message, code).
import { describe, expect, it } from 'vitest';
import { DEFAULT_TIMING, type ProbeSpec } from '../src/health/spec.js';
import { Type } from '../src/wire/constants.js';
import { formatProblem } from '../src/base/errors.js';
import { compileText } from '../src/zone/load.js';

const FILE = 'zones/example.org.yaml';
/** The zone's first lines; the site `fra` starts on line 5, its keys on line 6. */
const HEAD = ['zone: example.org', 'nameservers:', '  ns1.example.net.:', 'sites:', '  fra:'];
const at = (line: number, col: number) => `${FILE}:${line}:${col}:`;

function compile(lines: string[]) {
  return compileText(FILE, [...HEAD, ...lines].join('\n') + '\n');
}

/** The compiled probe of each address of site fra, by address. */
function probes(lines: string[]): Record<string, ProbeSpec> {
  const r = compile(lines);
  expect(r.problems.map(formatProblem)).toEqual([]);
  const fra = r.zone!.sites.get('fra')!;
  return Object.fromEntries([...fra.v4, ...fra.v6].map((a) => [a.address, a.probe]));
}

const HTTP_DEFAULTS = {
  type: 'http',
  target: null,
  port: 80,
  path: '/',
  method: 'GET',
  expect: [[200, 399]],
  body: null,
  host: null,
  sni: null,
  insecure: false,
  ...DEFAULT_TIMING,
};

describe('probe: what a site and its addresses compile to', () => {
  it('without probe: every address has probe none, and min_healthy is 1', () => {
    const r = compile(['    addresses: [192.0.2.1, 2001:db8::1]']);
    const fra = r.zone!.sites.get('fra')!;
    expect(fra.minHealthy).toBe(1);
    expect([...fra.v4, ...fra.v6].map((a) => a.probe)).toEqual([
      { type: 'none' },
      { type: 'none' },
    ]);
  });

  it.each([
    ['probe: http', HTTP_DEFAULTS],
    ['probe: https', { ...HTTP_DEFAULTS, type: 'https', port: 443 }],
    [
      'probe: { type: http, port: 8080, path: /health }',
      { ...HTTP_DEFAULTS, port: 8080, path: '/health' },
    ],
    [
      'probe: { type: https, host: www.example.com, sni: api.example.com, insecure: true, method: HEAD }',
      {
        ...HTTP_DEFAULTS,
        type: 'https',
        port: 443,
        host: 'www.example.com',
        sni: 'api.example.com',
        insecure: true,
        method: 'HEAD',
      },
    ],
    [
      'probe: { type: http, expect: [200, "300-302"], body: ok }',
      {
        ...HTTP_DEFAULTS,
        expect: [
          [200, 200],
          [300, 302],
        ],
        body: 'ok',
      },
    ],
    ['probe: { type: http, expect: 204 }', { ...HTTP_DEFAULTS, expect: [[204, 204]] }],
    // A target with its port replaces the address and the default port.
    [
      'probe: { type: http, target: "10.0.0.5:8080" }',
      { ...HTTP_DEFAULTS, target: '10.0.0.5', port: 8080 },
    ],
    [
      'probe: { type: http, target: 10.0.0.5, port: 81 }',
      { ...HTTP_DEFAULTS, target: '10.0.0.5', port: 81 },
    ],
    [
      'probe: { type: http, target: "[2001:db8::5]:8443" }',
      { ...HTTP_DEFAULTS, target: '2001:db8::5', port: 8443 },
    ],
    [
      'probe: { type: tcp, port: 443, interval: 10s, timeout: 500ms, rise: 1, fall: 5 }',
      { type: 'tcp', target: null, port: 443, intervalMs: 10000, timeoutMs: 500, rise: 1, fall: 5 },
    ],
    [
      'probe: { type: tcp, target: "10.0.0.5:22" }',
      { type: 'tcp', target: '10.0.0.5', port: 22, ...DEFAULT_TIMING },
    ],
    [
      'probe: { type: dns, name: example.com. }',
      {
        type: 'dns',
        target: null,
        port: 53,
        name: 'example.com',
        qtype: Type.A,
        ...DEFAULT_TIMING,
      },
    ],
    [
      'probe: { type: dns, name: ".", qtype: soa, port: 5353 }',
      { type: 'dns', target: null, port: 5353, name: '', qtype: Type.SOA, ...DEFAULT_TIMING },
    ],
    // Without a timeout, half a short interval (the 2s default would not fit in 1s).
    ['probe: { type: http, interval: 1s }', { ...HTTP_DEFAULTS, intervalMs: 1000, timeoutMs: 500 }],
    ['probe: { type: http, interval: 1.5m }', { ...HTTP_DEFAULTS, intervalMs: 90000 }],
    [
      'probe: { type: http, interval: 200ms, timeout: 100ms }',
      { ...HTTP_DEFAULTS, intervalMs: 200, timeoutMs: 100 },
    ],
    ['probe: none', { type: 'none' }],
  ])('%s', (line, want) => {
    expect(probes(['    addresses: [192.0.2.1]', `    ${line}`])['192.0.2.1']).toEqual(want);
  });

  it("an address's own probe replaces its site's entirely; the others keep the site's", () => {
    const p = probes([
      '    probe: { type: http, path: /health, interval: 2s }',
      '    addresses:',
      '      - 192.0.2.1',
      '      - { address: 192.0.2.2, weight: 2, probe: { type: tcp, port: 22 } }',
      '      - { address: 2001:db8::1, probe: none }',
    ]);
    expect(p).toEqual({
      '192.0.2.1': { ...HTTP_DEFAULTS, path: '/health', intervalMs: 2000, timeoutMs: 1000 },
      '192.0.2.2': { type: 'tcp', target: null, port: 22, ...DEFAULT_TIMING },
      '2001:db8::1': { type: 'none' },
    });
  });

  it('min_healthy counts addresses of both families', () => {
    const r = compile(['    addresses: [192.0.2.1, 2001:db8::1]', '    min_healthy: 2']);
    expect(r.problems).toEqual([]);
    expect(r.zone!.sites.get('fra')!.minHealthy).toBe(2);
  });

  it('a probe is part of the zone content: changing it moves the serial', () => {
    const serial = (probe: string) =>
      compile(['    addresses: [192.0.2.1]', `    ${probe}`]).zone!.soa.rdata[0];
    expect(serial('probe: { type: http, path: /a }')).not.toEqual(
      serial('probe: { type: http, path: /b }'),
    );
  });
});

interface Row {
  name: string;
  /** The site's lines (from line 6). */
  lines: string[];
  want: string[];
}

const A = '    addresses: [192.0.2.1]';
const TCP_KEYS = 'type, port, target, interval, timeout, rise, fall';
const rows: Row[] = [
  {
    name: 'an unknown probe type',
    lines: [A, '    probe: { type: icmp }'],
    want: [
      `${at(7, 20)} sites.fra.probe.type: must be one of http, https, tcp, dns, none, got string "icmp" [bad-value]`,
    ],
  },
  {
    name: 'a probe without a type',
    lines: [A, '    probe: { port: 80 }'],
    want: [
      `${at(7, 12)} sites.fra.probe: a probe needs "type": one of http, https, tcp, dns, none [missing-key]`,
    ],
  },
  {
    name: 'a key another probe type uses',
    lines: [A, '    probe: { type: tcp, port: 443, path: /x }'],
    want: [
      `${at(7, 36)} sites.fra.probe.path: unknown key "path" in a tcp probe (expected one of: ${TCP_KEYS}) [unknown-key]`,
    ],
  },
  {
    name: 'sni on a plain http probe',
    lines: [A, '    probe: { type: http, sni: x.example }'],
    want: [
      `${at(7, 26)} sites.fra.probe.sni: unknown key "sni" in an http probe (expected one of: type, port, target, path, method, expect, body, host, interval, timeout, rise, fall) [unknown-key]`,
    ],
  },
  {
    name: 'any key beside type none',
    lines: [A, '    probe: { type: none, port: 80 }'],
    want: [
      `${at(7, 26)} sites.fra.probe.port: unknown key "port" in a probe of type none (expected one of: type) [unknown-key]`,
    ],
  },
  {
    name: 'a tcp probe without a port',
    lines: [A, '    probe: { type: tcp }'],
    want: [
      `${at(7, 12)} sites.fra.probe: a tcp probe needs "port" (or a target with a port, e.g. 10.0.0.5:8080) [missing-key]`,
    ],
  },
  {
    name: 'tcp alone, which has no port',
    lines: [A, '    probe: tcp'],
    want: [
      `${at(7, 12)} sites.fra.probe: a tcp probe needs "port": write probe: { type: tcp, port: 443 } [missing-key]`,
    ],
  },
  {
    name: 'a dns probe without a name',
    lines: [A, '    probe: { type: dns }'],
    want: [
      `${at(7, 12)} sites.fra.probe: a dns probe needs "name": a name the server answers NOERROR for, e.g. example.com [missing-key]`,
    ],
  },
  {
    name: 'a bad dns name and qtype',
    lines: [A, '    probe: { type: dns, name: "a..b", qtype: AXFR }'],
    want: [
      `${at(7, 31)} sites.fra.probe.name: empty label in "a..b" [bad-name]`,
      `${at(7, 46)} sites.fra.probe.qtype: must be a record type such as A, AAAA, SOA or NS, got string "AXFR" [bad-value]`,
    ],
  },
  {
    name: 'a duration without a unit',
    lines: [A, '    probe: { type: http, interval: 5 }'],
    want: [
      `${at(7, 36)} sites.fra.probe.interval: must be a duration such as 5s or 500ms, got number 5 (say which unit: s or ms) [bad-value]`,
    ],
  },
  {
    name: 'intervals out of range',
    lines: [
      A,
      '    probe: { type: http, interval: 50ms }',
      '    probe: { type: tcp, port: 1, interval: 2h }',
    ],
    want: [
      `${at(7, 36)} sites.fra.probe.interval: must be 100ms to 1h in whole milliseconds, got 50ms [bad-value]`,
      `${at(8, 5)} sites.fra.probe: duplicate key "probe": the first is at line 7, column 5, and YAML keeps only one [duplicate-key]`,
    ],
  },
  {
    name: 'an interval over an hour',
    lines: [A, '    probe: { type: tcp, port: 1, interval: 2h }'],
    want: [
      `${at(7, 44)} sites.fra.probe.interval: must be 100ms to 1h in whole milliseconds, got 2h [bad-value]`,
    ],
  },
  {
    name: 'a timeout as long as the interval',
    lines: [A, '    probe: { type: http, interval: 1s, timeout: 1s }'],
    want: [
      `${at(7, 49)} sites.fra.probe.timeout: timeout 1s must be shorter than the interval (1s), so one probe ends before the next starts [bad-value]`,
    ],
  },
  {
    name: 'rise and fall out of range',
    lines: [A, '    probe: { type: http, rise: 0, fall: 101 }'],
    want: [
      `${at(7, 32)} sites.fra.probe.rise: must be an integer 1-100, got number 0 [bad-value]`,
      `${at(7, 41)} sites.fra.probe.fall: must be an integer 1-100, got number 101 [bad-value]`,
    ],
  },
  {
    name: 'a port out of range',
    lines: [A, '    probe: { type: http, port: 70000 }'],
    want: [
      `${at(7, 32)} sites.fra.probe.port: must be an integer 1-65535, got number 70000 [bad-value]`,
    ],
  },
  {
    name: 'expected status codes out of range, reversed, or not numbers',
    lines: [A, '    probe: { type: http, expect: [200, 600, "399-200", 2xx] }'],
    want: [
      `${at(7, 40)} sites.fra.probe.expect[1]: must be a status code 100-599 or a range such as "200-399", got number 600 [bad-value]`,
      `${at(7, 45)} sites.fra.probe.expect[2]: the range "399-200" is reversed: write "200-399" [bad-value]`,
      `${at(7, 56)} sites.fra.probe.expect[3]: must be a status code 100-599 or a range such as "200-399", got string "2xx" [bad-value]`,
    ],
  },
  {
    name: 'an empty expect list',
    lines: [A, '    probe: { type: http, expect: [] }'],
    want: [
      `${at(7, 34)} sites.fra.probe.expect: must be a status code, a range such as "200-399", or a list of them [bad-value]`,
    ],
  },
  {
    name: 'a body check on HEAD',
    lines: [A, '    probe: { type: http, method: HEAD, body: ok }'],
    want: [
      `${at(7, 40)} sites.fra.probe.body: a HEAD response has no body: "body" needs method GET [bad-value]`,
    ],
  },
  {
    name: 'a path without its slash, a bad method, a bad Host',
    lines: [A, '    probe: { type: http, path: health, method: POST, host: "bad host" }'],
    want: [
      `${at(7, 32)} sites.fra.probe.path: must be a path starting with "/", without spaces, e.g. /health, got string "health" [bad-value]`,
      `${at(7, 48)} sites.fra.probe.method: must be GET or HEAD, got string "POST" [bad-value]`,
      `${at(7, 60)} sites.fra.probe.host: must be a host name with an optional port, e.g. www.example.com, got string "bad host" [bad-value]`,
    ],
  },
  {
    name: 'an IP address as the SNI name, insecure not a boolean',
    lines: [A, '    probe: { type: https, sni: 10.0.0.1, insecure: "yes" }'],
    want: [
      `${at(7, 32)} sites.fra.probe.sni: must be a DNS name: RFC 6066 3 does not allow an IP address as the server name, got "10.0.0.1" [bad-value]`,
      `${at(7, 52)} sites.fra.probe.insecure: must be true or false, got string "yes" [wrong-type]`,
    ],
  },
  {
    name: 'a target that is a name (names are not looked up)',
    lines: [A, '    probe: { type: http, target: db.internal:80 }'],
    want: [
      `${at(7, 34)} sites.fra.probe.target: must be an IP address with an optional port, e.g. 10.0.0.5:8080 or [2001:db8::5]:8080, got string "db.internal:80" [bad-address]`,
    ],
  },
  {
    name: 'the port in the target and in port',
    lines: [A, '    probe: { type: http, target: "10.0.0.5:8080", port: 80 }'],
    want: [
      `${at(7, 57)} sites.fra.probe.port: the port is given twice: target 10.0.0.5:8080 already names port 8080 [bad-value]`,
    ],
  },
  {
    name: 'min_healthy above the number of addresses',
    lines: ['    addresses: [192.0.2.1, 2001:db8::1]', '    min_healthy: 3'],
    want: [
      `${at(7, 18)} sites.fra.min_healthy: min_healthy 3 is more than the 2 address(es) site fra has, so it could never be available [bad-value]`,
    ],
  },
  {
    name: 'min_healthy 0',
    lines: [A, '    min_healthy: 0'],
    want: [
      `${at(7, 18)} sites.fra.min_healthy: must be an integer 1-1000, got number 0 [bad-value]`,
    ],
  },
  {
    name: "mistakes in an address's own probe and keys",
    lines: [
      '    addresses:',
      '      - { address: 192.0.2.1, probe: { type: tcp, port: 22, bogus: 1 } }',
      '      - { address: 192.0.2.2, prob: tcp }',
    ],
    want: [
      `${at(7, 61)} sites.fra.addresses[0].probe.bogus: unknown key "bogus" in a tcp probe (expected one of: ${TCP_KEYS}) [unknown-key]`,
      `${at(8, 31)} sites.fra.addresses[1].prob: unknown key "prob" in sites.fra.addresses[1] (expected one of: address, weight, probe) [unknown-key]`,
    ],
  },
];

describe('probe: every mistake, exactly', () => {
  it.each(rows.map((r) => [r.name, r] as const))('%s', (_name, row) => {
    const r = compile(row.lines);
    expect(r.problems.map(formatProblem)).toEqual(row.want);
    expect(r.zone).toBeNull();
  });
});
