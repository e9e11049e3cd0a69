// What zone validation rejects, and exactly how it says so: every row gives a zone file (one string
// per line, so line numbers are the array index + 1), the formatted problem lines in order, and
// the token each problem's line:col must point at.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { formatProblem, ProblemCode, type Problem } from '../src/base/errors.js';
import { compileText, loadZoneDir, loadZoneFiles } from '../src/zone/load.js';

const FILE = 'zones/example.org.yaml';
const HEAD = ['zone: example.org', 'nameservers:', '  ns1.example.net.:', 'records:'];
/** A zone's first lines up to `sites:`: the site stanzas follow, then records if any. */
const SITES = ['zone: example.org', 'nameservers:', '  ns1.example.net.:', 'sites:'];
const L63 = 'a'.repeat(63);
const L64 = 'b'.repeat(64);

interface Row {
  /** What the row shows, as a test name. */
  name: string;
  lines: string[];
  /** Formatted problems, in the order reported. */
  want: string[];
  /** For each problem, the text found at its line:col. */
  at: string[];
}

const at = (line: number, col: number) => `${FILE}:${line}:${col}:`;

const rows: Row[] = [
  // Unknown keys, at every level.
  {
    name: 'an unknown top-level key',
    lines: ['zone: example.org', 'tll: 60', 'nameservers:', '  ns1.example.net.:'],
    want: [
      `${at(2, 1)} tll: unknown key "tll" in zone file (expected one of: zone, ttl, soa, nameservers, sites, records, dnssec) [unknown-key]`,
    ],
    at: ['tll'],
  },
  {
    name: 'an unknown key in soa',
    lines: ['zone: example.org', 'soa:', '  refesh: 60', 'nameservers:', '  ns1.example.net.:'],
    want: [
      `${at(3, 3)} soa.refesh: unknown key "refesh" in soa (expected one of: primary, contact, serial, refresh, retry, expire, negative_ttl, ttl) [unknown-key]`,
    ],
    at: ['refesh'],
  },
  {
    name: 'an unknown key under a name',
    lines: [...HEAD, '  www:', '    colour: blue'],
    want: [
      `${at(6, 5)} records.www.colour: unknown key "colour" in records.www (expected one of: ttl, A, AAAA, CNAME, MX, TXT, SRV, CAA, PTR, NS) [unknown-key]`,
    ],
    at: ['colour'],
  },
  {
    name: 'a record type in lower case, with a hint',
    lines: [...HEAD, '  www:', '    aaaa: 2001:db8::1'],
    want: [
      `${at(6, 5)} records.www.aaaa: unknown key "aaaa" in records.www: record types are written in upper case ("AAAA") [unknown-key]`,
    ],
    at: ['aaaa'],
  },
  {
    name: 'a record type that is not supported',
    lines: [...HEAD, '  www:', '    HINFO: "PDP-11 UNIX"'],
    want: [
      `${at(6, 5)} records.www.HINFO: record type HINFO is not supported (supported: A, AAAA, CNAME, MX, TXT, SRV, CAA, PTR, NS) [unsupported-type]`,
    ],
    at: ['HINFO'],
  },
  {
    name: 'an unknown key in the per-type { ttl, values } form',
    lines: [...HEAD, '  www:', '    A: { ttl: 60, value: 192.0.2.1 }'],
    want: [
      `${at(6, 8)} records.www.A: missing "values" (the form with a TTL of its own is { ttl: 60, values: [...] }) [missing-key]`,
      `${at(6, 19)} records.www.A.value: unknown key "value" in records.www.A (expected one of: ttl, values) [unknown-key]`,
    ],
    at: ['{ ttl', 'value:'],
  },

  // Malformed addresses.
  {
    name: 'an IPv4 address with an octet over 255',
    lines: [...HEAD, '  static:', '    A: [192.0.2.1, 192.0.2.300]'],
    want: [`${at(6, 20)} records.static.A[1]: not an IPv4 address: "192.0.2.300" [bad-address]`],
    at: ['192.0.2.300'],
  },
  {
    name: 'an IPv4 address with a leading zero (ambiguous: octal in some parsers)',
    lines: [...HEAD, '  static:', '    A: 192.0.2.01'],
    want: [`${at(6, 8)} records.static.A: not an IPv4 address: "192.0.2.01" [bad-address]`],
    at: ['192.0.2.01'],
  },
  {
    name: 'a malformed IPv6 address',
    lines: [...HEAD, '  static:', '    AAAA:', '      - 2001:db8::1', '      - 2001:db8::g'],
    want: [`${at(8, 9)} records.static.AAAA[1]: not an IPv6 address: "2001:db8::g" [bad-address]`],
    at: ['2001:db8::g'],
  },
  {
    name: 'an IPv4 address given for AAAA',
    lines: [...HEAD, '  static:', '    AAAA: 192.0.2.1'],
    want: [`${at(6, 11)} records.static.AAAA: not an IPv6 address: "192.0.2.1" [bad-address]`],
    at: ['192.0.2.1'],
  },
  {
    name: 'a malformed glue address',
    lines: ['zone: example.org', 'nameservers:', '  ns1: [192.0.2.53, 2001:db8::5:3::1]'],
    want: [
      `${at(3, 21)} nameservers.ns1[1]: not an IPv4 or IPv6 address: "2001:db8::5:3::1" [bad-address]`,
    ],
    at: ['2001:db8::5:3::1'],
  },

  // Malformed names.
  {
    name: 'an owner name with a space',
    lines: [...HEAD, '  "w w":', '    A: 192.0.2.1'],
    want: [
      `${at(5, 3)} records."w w": label "w w" has characters other than letters, digits, '-' and '_' in "w w.example.org" [bad-name]`,
    ],
    at: ['"w w"'],
  },
  {
    name: 'an owner name with an empty label',
    lines: [...HEAD, '  a..b:', '    A: 192.0.2.1'],
    want: [`${at(5, 3)} records."a..b": empty label in "a..b.example.org" [bad-name]`],
    at: ['a..b'],
  },
  {
    name: 'a CNAME target with an empty label',
    lines: [...HEAD, '  www:', '    CNAME: web..example.net.'],
    want: [`${at(6, 12)} records.www.CNAME: empty label in "web..example.net" [bad-name]`],
    at: ['web..example.net.'],
  },
  {
    name: 'a malformed zone name',
    lines: ['zone: example_org!', 'nameservers:', '  ns1.example.net.:'],
    want: [
      `${at(1, 7)} zone: label "example_org!" has characters other than letters, digits, '-' and '_' in "example_org!" [bad-name]`,
    ],
    at: ['example_org!'],
  },
  {
    name: 'a malformed nameserver name',
    lines: ['zone: example.org', 'nameservers:', '  ns1..example.net.:'],
    want: [
      `${at(3, 3)} nameservers."ns1..example.net.": empty label in "ns1..example.net" [bad-name]`,
    ],
    at: ['ns1..example.net.'],
  },
  {
    name: 'a label over 63 octets',
    lines: [...HEAD, `  ${L64}:`, '    A: 192.0.2.1'],
    want: [
      `${at(5, 3)} records.${L64}: label "bbbbbbbbbbbbbbbbbbbb..." is 64 octets, over the limit of 63 (RFC 1035 2.3.4) [bad-name]`,
    ],
    at: [L64],
  },
  {
    // 4 labels of 63 octets: 4 * 64 + 1 = 257 octets before the origin is even added.
    name: 'a name over 255 octets',
    lines: [...HEAD, `  ${L63}.${L63}.${L63}.${L63}.:`, '    A: 192.0.2.1'],
    want: [
      `${at(5, 3)} records."${L63}.${L63}.${L63}.${L63}.": name is 257 octets, over the limit of 255 (RFC 1035 2.3.4) [bad-name]`,
    ],
    at: [L63],
  },
  {
    name: 'a name that goes over 255 octets only once the origin is appended',
    // 3 * 64 + 52 + 1 (root) = 245 octets; ".example.org" adds 12, making 257.
    lines: [...HEAD, `  ${L63}.${L63}.${L63}.${'c'.repeat(51)}:`, '    A: 192.0.2.1'],
    want: [
      `${at(5, 3)} records."${L63}.${L63}.${L63}.${'c'.repeat(51)}": name is 257 octets, over the limit of 255 (RFC 1035 2.3.4) [bad-name]`,
    ],
    at: [L63],
  },
  {
    name: 'a wildcard that is not the leftmost label',
    lines: [...HEAD, '  a.*.b:', '    A: 192.0.2.1'],
    want: [
      `${at(5, 3)} records."a.*.b": "*" is only allowed as the leftmost label of an owner name (RFC 4592), in "a.*.b.example.org" [bad-name]`,
    ],
    at: ['a.*.b'],
  },
  {
    name: 'a wildcard glued to other characters',
    lines: [...HEAD, "  '*x':", '    A: 192.0.2.1'],
    want: [
      `${at(5, 3)} records.*x: label "*x" has characters other than letters, digits, '-' and '_' in "*x.example.org" [bad-name]`,
    ],
    at: ["'*x'"],
  },
  {
    name: 'a wildcard as a CNAME target',
    lines: [...HEAD, '  www:', "    CNAME: '*.example.net.'"],
    want: [
      `${at(6, 12)} records.www.CNAME: "*" is only allowed as the leftmost label of an owner name (RFC 4592), in "*.example.net" [bad-name]`,
    ],
    at: ["'*.example.net.'"],
  },

  // CNAME rules (RFC 1034 3.6.2).
  {
    name: 'a CNAME beside other data',
    lines: [...HEAD, '  www:', '    A: 192.0.2.1', '    CNAME: web', '    TXT: hello'],
    want: [
      `${at(7, 12)} records.www.CNAME: a CNAME cannot stand beside other data (A, TXT) at www.example.org (RFC 1034 3.6.2) [cname-and-other-data]`,
    ],
    at: ['web'],
  },
  {
    name: 'a CNAME at the apex',
    lines: [...HEAD, "  '@':", '    CNAME: www.example.net.'],
    want: [
      `${at(6, 12)} records.@.CNAME: a CNAME cannot be at the zone apex, which has SOA and NS (RFC 1034 3.6.2) [cname-and-other-data]`,
    ],
    at: ['www.example.net.'],
  },
  {
    name: 'two CNAMEs at one name',
    lines: [...HEAD, '  www:', '    CNAME: [web1, web2]'],
    want: [
      `${at(6, 19)} records.www.CNAME[1]: a name has at most one CNAME (RFC 1034 3.6.2) [bad-value]`,
    ],
    at: ['web2'],
  },

  // Out-of-zone data.
  {
    name: 'an absolute owner outside the zone',
    lines: [...HEAD, '  www.example.com.:', '    A: 192.0.2.1'],
    want: [
      `${at(5, 3)} records."www.example.com.": www.example.com is outside zone example.org [out-of-zone]`,
    ],
    at: ['www.example.com.'],
  },
  {
    name: 'a parent-side owner: the zone name is not a suffix label by label',
    lines: [...HEAD, '  badexample.org.:', '    A: 192.0.2.1'],
    want: [
      `${at(5, 3)} records."badexample.org.": badexample.org is outside zone example.org [out-of-zone]`,
    ],
    at: ['badexample.org.'],
  },
  {
    name: 'addresses for an out-of-zone nameserver',
    lines: ['zone: example.org', 'nameservers:', '  ns1.example.net.: [192.0.2.53]'],
    want: [
      `${at(3, 21)} nameservers."ns1.example.net.": ns1.example.net is outside zone example.org: its addresses are not served here; list it with no addresses [out-of-zone]`,
    ],
    at: ['[192.0.2.53]'],
  },

  // Glue.
  {
    name: 'an in-zone apex nameserver without addresses',
    lines: ['zone: example.org', 'nameservers:', '  ns1:', '  ns2.example.net.:'],
    want: [
      `${at(3, 3)} nameservers.ns1: ns1.example.org is inside zone example.org, so it needs its addresses (glue), e.g. ns1: [192.0.2.53] [missing-glue]`,
    ],
    at: ['ns1:'],
  },
  {
    name: 'a delegation to an in-zone nameserver without glue',
    lines: [...HEAD, '  sub:', '    NS: [ns.example.net., ns1.sub]'],
    want: [
      `${at(6, 27)} records.sub.NS[1]: nameserver ns1.sub.example.org is inside zone example.org, so it needs A or AAAA records (glue) under records: [missing-glue]`,
    ],
    at: ['ns1.sub'],
  },

  // Case and spelling duplicates.
  {
    name: 'two owner names differing only in case',
    lines: [...HEAD, '  www:', '    A: 192.0.2.1', '  WWW:', '    AAAA: 2001:db8::1'],
    want: [
      `${at(7, 3)} records.WWW: WWW.example.org is the same name as www.example.org (records.www); DNS names are case-insensitive (RFC 4343) [case-duplicate]`,
    ],
    at: ['WWW'],
  },
  {
    name: 'a record name differing in case from a nameserver name',
    lines: [
      'zone: example.org',
      'nameservers:',
      '  ns1: 192.0.2.53',
      'records:',
      '  NS1:',
      '    TXT: hi',
    ],
    want: [
      `${at(5, 3)} records.NS1: NS1.example.org is the same name as ns1.example.org (nameservers.ns1); DNS names are case-insensitive (RFC 4343) [case-duplicate]`,
    ],
    at: ['NS1'],
  },
  {
    name: 'one name written twice, relative and absolute',
    lines: [...HEAD, '  www:', '    A: 192.0.2.1', '  www.example.org.:', '    AAAA: 2001:db8::1'],
    want: [
      `${at(7, 3)} records."www.example.org.": www.example.org is already defined at records.www [duplicate-name]`,
    ],
    at: ['www.example.org.'],
  },
  {
    name: 'the apex written twice',
    lines: [...HEAD, "  '@':", '    TXT: one', '  example.org.:', '    MX: 10 mail'],
    want: [
      `${at(7, 3)} records."example.org.": example.org is already defined at records.@ [duplicate-name]`,
    ],
    at: ['example.org.'],
  },
  {
    name: 'the same records for a nameserver in nameservers and records',
    lines: [
      'zone: example.org',
      'nameservers:',
      '  ns1: 192.0.2.53',
      'records:',
      '  ns1:',
      '    A: 192.0.2.54',
    ],
    want: [
      `${at(6, 8)} records.ns1.A: A records for ns1.example.org are already defined at nameservers.ns1 [bad-value]`,
    ],
    at: ['192.0.2.54'],
  },

  // TTLs.
  {
    name: 'a default TTL over 2^31 - 1',
    lines: ['zone: example.org', 'ttl: 2147483648', 'nameservers:', '  ns1.example.net.:'],
    want: [`${at(2, 6)} ttl: must be an integer 0-2147483647, got number 2147483648 [bad-ttl]`],
    at: ['2147483648'],
  },
  {
    name: 'a negative per-name TTL',
    lines: [...HEAD, '  www:', '    ttl: -1', '    A: 192.0.2.1'],
    want: [
      `${at(6, 10)} records.www.ttl: must be an integer 0-2147483647, got number -1 [bad-ttl]`,
    ],
    at: ['-1'],
  },
  {
    name: 'a per-type TTL with a unit (units are not supported)',
    lines: [...HEAD, '  www:', '    A: { ttl: 5m, values: [192.0.2.1] }'],
    want: [
      `${at(6, 15)} records.www.A.ttl: must be an integer 0-2147483647, got string "5m" [bad-ttl]`,
    ],
    at: ['5m'],
  },
  {
    name: 'a fractional TTL',
    lines: [...HEAD, '  www:', '    ttl: 1.5', '    A: 192.0.2.1'],
    want: [
      `${at(6, 10)} records.www.ttl: must be an integer 0-2147483647, got number 1.5 [bad-ttl]`,
    ],
    at: ['1.5'],
  },
  {
    name: 'SOA timers out of range',
    lines: [
      'zone: example.org',
      'soa:',
      '  ttl: 4294967296',
      '  negative_ttl: 604801',
      '  serial: 4294967296',
      '  retry: -600',
      'nameservers:',
      '  ns1.example.net.:',
    ],
    want: [
      `${at(3, 8)} soa.ttl: must be an integer 0-2147483647, got number 4294967296 [bad-ttl]`,
      `${at(4, 17)} soa.negative_ttl: must be an integer 0-604800, got number 604801 [bad-ttl]`,
      `${at(5, 11)} soa.serial: must be an integer 0-4294967295, got number 4294967296 [bad-value]`,
      `${at(6, 10)} soa.retry: must be an integer 0-2147483647, got number -600 [bad-value]`,
    ],
    at: ['4294967296', '604801', '4294967296', '-600'],
  },

  // Wrong YAML types.
  {
    name: 'records as a list',
    lines: ['zone: example.org', 'nameservers:', '  ns1.example.net.:', 'records: [www]'],
    want: [`${at(4, 10)} records: must be a mapping, got a list [wrong-type]`],
    at: ['[www]'],
  },
  {
    name: 'a name with a list instead of a mapping of types',
    lines: [...HEAD, '  www: [192.0.2.1]'],
    want: [`${at(5, 8)} records.www: must be a mapping, got a list [wrong-type]`],
    at: ['[192.0.2.1]'],
  },
  {
    name: 'a name with nothing under it',
    lines: [...HEAD, '  www:', '  mail:', '    A: 192.0.2.25'],
    want: [`${at(5, 7)} records.www: must be a mapping, got nothing [wrong-type]`],
    at: [''],
  },
  {
    name: 'nameservers as a list',
    lines: ['zone: example.org', 'nameservers: [ns1.example.net.]'],
    want: [`${at(2, 14)} nameservers: must be a mapping, got a list [wrong-type]`],
    at: ['[ns1.example.net.]'],
  },
  {
    name: 'a zone name that is a list',
    lines: ['zone: [example.org]', 'nameservers:', '  ns1.example.net.:'],
    want: [`${at(1, 7)} zone: must be a string, got a list [wrong-type]`],
    at: ['[example.org]'],
  },
  {
    name: 'a boolean where text is expected',
    lines: [...HEAD, '  www:', '    TXT: [hello, true]'],
    want: [`${at(6, 18)} records.www.TXT[1]: must be a string, got boolean true [wrong-type]`],
    at: ['true'],
  },
  {
    name: 'a list inside a list',
    lines: [...HEAD, '  www:', '    A: [[192.0.2.1]]'],
    want: [`${at(6, 9)} records.www.A[0]: must be a single value, got a list [wrong-type]`],
    at: ['[192.0.2.1]'],
  },
  {
    name: 'a type with no value',
    lines: [...HEAD, '  www:', '    A:'],
    want: [
      `${at(6, 7)} records.www.A: must be a value or a list of values, got nothing [wrong-type]`,
    ],
    at: [''],
  },
  {
    name: 'a type with an empty list',
    lines: [...HEAD, '  www:', '    A: []'],
    want: [
      `${at(6, 8)} records.www.A: an empty list: give at least one value, or remove the key [bad-value]`,
    ],
    at: ['[]'],
  },
  {
    name: 'a boolean glue address',
    lines: ['zone: example.org', 'nameservers:', '  ns1: [true]'],
    want: [
      `${at(3, 9)} nameservers.ns1[0]: must be an IPv4 or IPv6 address, got boolean true [wrong-type]`,
    ],
    at: ['true'],
  },
  {
    name: 'a YAML alias (anchors are not supported)',
    lines: [...HEAD, '  www:', '    A: &web [192.0.2.1]', '  web:', '    A: *web'],
    want: [
      `${at(8, 8)} records.web.A: must be a value or a list of values, got the YAML alias *web (quote a value that starts with *; anchors and aliases are not supported) [wrong-type]`,
    ],
    at: ['*web'],
  },
  {
    name: 'a key that is not a string',
    lines: [...HEAD, '  [a, b]:', '    A: 192.0.2.1'],
    want: [`${at(5, 3)} records: keys must be plain strings, got a list [wrong-type]`],
    at: ['[a, b]'],
  },

  // YAML syntax and duplicate keys.
  {
    name: 'an unclosed flow sequence',
    lines: [...HEAD, '  www:', '    A: [192.0.2.1', '  mail:', '    A: 192.0.2.25'],
    want: [
      `${at(7, 3)} flow sequence in block collection must be sufficiently indented and end with a ] [yaml-syntax]`,
    ],
    at: ['mail'],
  },
  {
    name: 'a tab used for indentation',
    lines: [...HEAD, '  www:', '\tA: 192.0.2.1'],
    want: [`${at(6, 1)} tabs are not allowed as indentation [yaml-syntax]`],
    at: ['\t'],
  },
  {
    name: 'an unquoted wildcard name (YAML reads it as an alias), with a hint',
    lines: [...HEAD, '  *.wild:', '    A: 192.0.2.1'],
    want: [
      `${at(5, 3)} quote the name: '*.wild': (YAML reads a plain * as an alias) [yaml-syntax]`,
      `${at(6, 1)} all mapping items must start at the same column [yaml-syntax]`,
    ],
    at: ['*.wild', '    A'],
  },
  {
    name: 'an unquoted @, with a hint',
    lines: [...HEAD, '  @:', '    TXT: apex'],
    want: [
      `${at(5, 3)} quote the name: '@': (YAML reserves a plain @) [yaml-syntax]`,
      `${at(5, 3)} plain value cannot start with reserved character @ [yaml-syntax]`,
    ],
    at: ['@', '@'],
  },
  {
    name: 'a second YAML document',
    lines: [...HEAD, '  www:', '    A: 192.0.2.1', '---', 'zone: example.net'],
    want: [
      `${at(7, 1)} a file holds one YAML document, but a second one starts here ("---") [yaml-syntax]`,
    ],
    at: ['---'],
  },
  {
    name: 'a name written twice (YAML would keep only one)',
    lines: [...HEAD, '  www:', '    A: 192.0.2.1', '  www:', '    AAAA: 2001:db8::1'],
    want: [
      `${at(7, 3)} records.www: duplicate key "www": the first is at line 5, column 3, and YAML keeps only one [duplicate-key]`,
    ],
    at: ['www'],
  },
  {
    name: 'a type written twice under one name',
    lines: [...HEAD, '  www:', '    A: 192.0.2.1', '    A: 192.0.2.2'],
    want: [
      `${at(7, 5)} records.www.A: duplicate key "A": the first is at line 6, column 5, and YAML keeps only one [duplicate-key]`,
    ],
    at: ['A: 192.0.2.2'],
  },

  // Delegations and occluded data.
  {
    name: 'data below a delegation',
    lines: [
      ...HEAD,
      '  sub:',
      '    NS: ns.example.net.',
      '  www.sub:',
      '    A: 192.0.2.1',
      '    TXT: hidden',
    ],
    want: [
      `${at(8, 8)} records."www.sub".A: www.sub.example.org is below the delegation at sub.example.org, so its A records would never be served (addresses below a delegation are kept only as glue for a nameserver this zone names) [occluded-data]`,
      `${at(9, 10)} records."www.sub".TXT: www.sub.example.org is below the delegation at sub.example.org, so its TXT records would never be served [occluded-data]`,
    ],
    at: ['192.0.2.1', 'hidden'],
  },
  {
    name: 'data beside NS at a delegation point',
    lines: [...HEAD, '  sub:', '    NS: ns.example.net.', '    MX: 10 mail'],
    want: [
      `${at(7, 9)} records.sub.MX: sub.example.org is delegated (it has NS records), so its MX records would never be served [occluded-data]`,
    ],
    at: ['10 mail'],
  },
  {
    name: 'a delegation below a delegation',
    lines: [
      ...HEAD,
      '  sub:',
      '    NS: ns.example.net.',
      '  deeper.sub:',
      '    NS: ns.example.net.',
    ],
    want: [
      `${at(8, 9)} records."deeper.sub".NS: deeper.sub.example.org is below the delegation at sub.example.org, so its NS records would never be served [occluded-data]`,
    ],
    at: ['ns.example.net.'],
  },
  {
    name: 'NS on a wildcard',
    lines: [...HEAD, "  '*.sub':", '    NS: ns.example.net.'],
    want: [
      `${at(6, 9)} records."*.sub".NS: a wildcard cannot own NS records (RFC 4592 4.2) [bad-value]`,
    ],
    at: ['ns.example.net.'],
  },

  // The apex.
  {
    name: 'apex NS under records',
    lines: [...HEAD, "  '@':", '    NS: [ns2.example.net.]'],
    want: [
      `${at(6, 5)} records.@.NS: apex NS records come from "nameservers:", not from records [apex-record]`,
    ],
    at: ['NS'],
  },
  {
    name: 'SOA under records',
    lines: [
      ...HEAD,
      "  '@':",
      '    SOA: ns1.example.net. hostmaster.example.org. 1 3600 600 1209600 60',
    ],
    want: [
      `${at(6, 5)} records.@.SOA: the SOA record is generated from "soa:" at the top of the file [apex-record]`,
    ],
    at: ['SOA'],
  },
  {
    name: 'missing zone',
    lines: ['# no zone: key', 'nameservers:', '  ns1.example.net.:'],
    want: [
      `${at(2, 1)} missing required key "zone" (the zone's name, e.g. gslb.example.com) [missing-key]`,
    ],
    at: ['nameservers'],
  },
  {
    name: 'missing nameservers',
    lines: ['zone: example.org', 'records:', '  www:', '    A: 192.0.2.1'],
    want: [
      `${at(1, 1)} missing required key "nameservers" (the zone's NS records, with addresses for in-zone names) [missing-key]`,
    ],
    at: ['zone'],
  },
  {
    name: 'no nameservers at all',
    lines: ['zone: example.org', 'nameservers: {}'],
    want: [`${at(2, 14)} nameservers: at least one nameserver is required [missing-key]`],
    at: ['{}'],
  },
  {
    name: 'an empty file',
    lines: ['# nothing but a comment'],
    want: [
      `${at(1, 1)} the file is empty: a zone needs at least "zone:" and "nameservers:" [missing-key]`,
    ],
    at: ['#'],
  },

  // Duplicate values in an RRset (RFC 2181 5).
  {
    name: 'the same address twice',
    lines: [...HEAD, '  www:', '    A: [192.0.2.1, 192.0.2.2, 192.0.2.1]'],
    want: [
      `${at(6, 31)} records.www.A[2]: duplicate of records.www.A[0]: an RRset holds each record once (RFC 2181 5) [bad-value]`,
    ],
    at: ['192.0.2.1]'],
  },
  {
    name: 'the same IPv6 address in two spellings',
    lines: [...HEAD, '  www:', '    AAAA: [2001:db8::1, 2001:DB8:0:0:0:0:0:1]'],
    want: [
      `${at(6, 25)} records.www.AAAA[1]: duplicate of records.www.AAAA[0]: an RRset holds each record once (RFC 2181 5) [bad-value]`,
    ],
    at: ['2001:DB8:0:0:0:0:0:1'],
  },
  {
    name: 'the same nameserver in two letter cases',
    lines: [...HEAD, '  sub:', '    NS: [ns.example.net., NS.Example.NET.]'],
    want: [
      `${at(6, 27)} records.sub.NS[1]: duplicate of records.sub.NS[0]: an RRset holds each record once (RFC 2181 5) [bad-value]`,
    ],
    at: ['NS.Example.NET.'],
  },
  {
    name: 'the same glue address twice',
    lines: ['zone: example.org', 'nameservers:', '  ns1: [192.0.2.53, 192.0.2.53]'],
    want: [
      `${at(3, 21)} nameservers.ns1[1]: duplicate of nameservers.ns1[0]: an RRset holds each record once (RFC 2181 5) [bad-value]`,
    ],
    at: ['192.0.2.53]'],
  },

  // MX, SRV, CAA syntax.
  {
    name: 'an MX without a preference',
    lines: [...HEAD, "  '@':", '    MX: mail.example.org.'],
    want: [
      `${at(6, 9)} records.@.MX: MX must be "PREFERENCE EXCHANGE" (e.g. "10 mail.example.com."), got "mail.example.org." [bad-value]`,
    ],
    at: ['mail.example.org.'],
  },
  {
    name: 'an MX preference over 65535',
    lines: [...HEAD, "  '@':", "    MX: ['65536 mail']"],
    want: [
      `${at(6, 10)} records.@.MX[0]: MX must be "PREFERENCE EXCHANGE" (e.g. "10 mail.example.com."), got "65536 mail" [bad-value]`,
    ],
    at: ["'65536 mail'"],
  },
  {
    name: 'an MX exchange with a bad name, and why',
    lines: [...HEAD, "  '@':", '    MX: 10 mail..example.org.'],
    want: [
      `${at(6, 9)} records.@.MX: MX must be "PREFERENCE EXCHANGE" (e.g. "10 mail.example.com."), got "10 mail..example.org.": empty label in "mail..example.org" [bad-value]`,
    ],
    at: ['10 mail..example.org.'],
  },
  {
    name: 'an SRV with a port that is not a number',
    lines: [...HEAD, '  _sip._tcp:', '    SRV: 10 60 sip sipserver'],
    want: [
      `${at(6, 10)} records."_sip._tcp".SRV: SRV must be "PRIORITY WEIGHT PORT TARGET" (e.g. "10 60 5060 sip.example.com."), got "10 60 sip sipserver" [bad-value]`,
    ],
    at: ['10 60 sip sipserver'],
  },
  {
    name: 'an SRV with a field missing',
    lines: [...HEAD, '  _sip._tcp:', "    SRV: ['10 5060 sipserver']"],
    want: [
      `${at(6, 11)} records."_sip._tcp".SRV[0]: SRV must be "PRIORITY WEIGHT PORT TARGET" (e.g. "10 60 5060 sip.example.com."), got "10 5060 sipserver" [bad-value]`,
    ],
    at: ["'10 5060 sipserver'"],
  },
  {
    name: 'a CAA without a value',
    lines: [...HEAD, "  '@':", '    CAA: 0 issue'],
    want: [
      `${at(6, 10)} records.@.CAA: CAA must be 'FLAGS TAG "VALUE"' (e.g. '0 issue "letsencrypt.org"'), got "0 issue" [bad-value]`,
    ],
    at: ['0 issue'],
  },
  {
    name: 'CAA flags over 255',
    lines: [...HEAD, "  '@':", '    CAA: \'256 issue "ca.example.net"\''],
    want: [
      `${at(6, 10)} records.@.CAA: CAA must be 'FLAGS TAG "VALUE"' (e.g. '0 issue "letsencrypt.org"'), got "256 issue "ca.example.net"" [bad-value]`,
    ],
    at: ["'256 issue"],
  },
  {
    name: 'a CAA tag over 15 characters',
    lines: [...HEAD, "  '@':", '    CAA: \'0 issuewildcardxyz "ca.example.net"\''],
    want: [
      `${at(6, 10)} records.@.CAA: CAA must be 'FLAGS TAG "VALUE"' (e.g. '0 issue "letsencrypt.org"'), got "0 issuewildcardxyz "ca.example.net"" [bad-value]`,
    ],
    at: ["'0 issuewildcardxyz"],
  },

  // SOA fields.
  {
    name: 'an SOA contact that is not a mailbox',
    lines: [
      'zone: example.org',
      'soa:',
      '  contact: "host master@example.org"',
      'nameservers:',
      '  ns1.example.net.:',
    ],
    want: [`${at(3, 12)} soa.contact: not a usable mailbox: "host master@example.org" [bad-name]`],
    at: ['"host master@example.org"'],
  },
  {
    name: 'an SOA primary with a bad name',
    lines: [
      'zone: example.org',
      'soa:',
      '  primary: ns1..example.org',
      'nameservers:',
      '  ns1.example.net.:',
    ],
    want: [`${at(3, 12)} soa.primary: empty label in "ns1..example.org" [bad-name]`],
    at: ['ns1..example.org'],
  },

  // Sites and steering (docs/steering.md).
  {
    name: 'a steered record naming a site that is not declared',
    lines: [
      ...SITES,
      '  fra:',
      '    addresses: [192.0.2.1]',
      'records:',
      '  www:',
      '    steer: weighted',
      '    sites: [fra, lhr]',
    ],
    want: [`${at(10, 18)} records.www.sites[1]: unknown site "lhr" (declared: fra) [unknown-site]`],
    at: ['lhr'],
  },
  {
    name: 'a site in a geo rule that is not declared, in a zone with no sites',
    lines: [...HEAD, '  www:', '    steer: geo', '    rules: [{ default: true, sites: [fra] }]'],
    want: [
      `${at(7, 38)} records.www.rules[0].sites[0]: unknown site "fra" (declared: none, add them under sites:) [unknown-site]`,
    ],
    at: ['fra'],
  },
  {
    name: 'an unknown policy',
    lines: [
      ...SITES,
      '  fra:',
      '    addresses: [192.0.2.1]',
      'records:',
      '  www:',
      '    steer: round-robin',
      '    sites: [fra]',
    ],
    want: [
      `${at(9, 12)} records.www.steer: unknown policy "round-robin" (policies: weighted, nearest, geo, failover, sticky) [bad-policy]`,
    ],
    at: ['round-robin'],
  },
  {
    name: 'a site without a location under steer: nearest',
    lines: [
      ...SITES,
      '  fra:',
      '    location: { lat: 50.11, lon: 8.68 }',
      '    addresses: [192.0.2.1]',
      '  lhr:',
      '    addresses: [192.0.2.2]',
      'records:',
      '  www:',
      '    steer: nearest',
      '    sites: [fra, lhr]',
    ],
    want: [
      `${at(13, 18)} records.www.sites[1]: site lhr has no location: steer: nearest ranks sites by distance, so each of its sites needs location: { lat, lon } [bad-policy]`,
    ],
    at: ['lhr'],
  },
  {
    name: 'a latitude and a longitude out of range',
    lines: [
      ...SITES,
      '  fra:',
      '    location: { lat: 91, lon: -181 }',
      '    addresses: [192.0.2.1]',
    ],
    want: [
      `${at(6, 22)} sites.fra.location.lat: must be a number -90 to 90, got number 91 [bad-value]`,
      `${at(6, 31)} sites.fra.location.lon: must be a number -180 to 180, got number -181 [bad-value]`,
    ],
    at: ['91', '-181'],
  },
  {
    name: 'a location without a longitude',
    lines: [...SITES, '  fra:', '    location: { lat: 50.11 }', '    addresses: [192.0.2.1]'],
    want: [
      `${at(6, 15)} sites.fra.location: a location needs both lat and lon, e.g. { lat: 53.35, lon: -6.26 } [missing-key]`,
    ],
    at: ['{ lat'],
  },
  {
    name: 'bad country, continent and subdivision codes',
    lines: [
      ...SITES,
      '  lhr:',
      '    country: UK',
      '    continent: Europe',
      '    subdivision: GB-LONDON',
      '    addresses: [192.0.2.1]',
    ],
    want: [
      `${at(6, 14)} sites.lhr.country: UK is not an ISO 3166-1 country code: the United Kingdom is GB [bad-value]`,
      `${at(7, 16)} sites.lhr.continent: must be a continent code (AF, AN, AS, EU, NA, OC, SA), got string "Europe" [bad-value]`,
      `${at(8, 18)} sites.lhr.subdivision: must be an ISO 3166-2 subdivision code in upper case (e.g. US-VA), got string "GB-LONDON" [bad-value]`,
    ],
    at: ['UK', 'Europe', 'GB-LONDON'],
  },
  {
    name: 'a subdivision outside the site’s country',
    lines: [
      ...SITES,
      '  iad:',
      '    country: US',
      '    subdivision: CA-ON',
      '    addresses: [192.0.2.1]',
    ],
    want: [
      `${at(7, 18)} sites.iad.subdivision: subdivision CA-ON is not in country US [bad-value]`,
    ],
    at: ['CA-ON'],
  },
  {
    name: 'the same address twice in a site, in two spellings',
    lines: [...SITES, '  fra:', '    addresses: [192.0.2.1, 2001:db8::1, 2001:DB8:0::1]'],
    want: [
      `${at(6, 41)} sites.fra.addresses[2]: duplicate of sites.fra.addresses[1]: site fra lists address 2001:db8::1 twice [bad-value]`,
    ],
    at: ['2001:DB8:0::1'],
  },
  {
    name: 'an administrative state that is not enabled or drain',
    lines: [...SITES, '  fra:', '    state: disabled', '    addresses: [192.0.2.1]'],
    want: [
      `${at(6, 12)} sites.fra.state: must be "enabled" or "drain", got string "disabled" [bad-value]`,
    ],
    at: ['disabled'],
  },
  {
    name: 'a site without addresses, and one with an empty list',
    lines: [...SITES, '  fra:', '    weight: 2', '  ams:', '    addresses: []'],
    want: [
      `${at(5, 3)} sites.fra: site fra needs "addresses" (its IPv4 and IPv6 VIPs) [missing-key]`,
      `${at(8, 16)} sites.ams.addresses: an empty list: give at least one address [bad-value]`,
    ],
    at: ['fra:', '[]'],
  },
  {
    name: 'an address weight of 0',
    lines: [...SITES, '  fra:', '    addresses:', '      - { address: 192.0.2.1, weight: 0 }'],
    want: [
      `${at(7, 39)} sites.fra.addresses[0].weight: must be an integer 1-1000, got number 0 [bad-value]`,
    ],
    at: ['0 }'],
  },
  {
    name: 'unknown keys in a site',
    lines: [...SITES, '  fra:', '    addresses: [192.0.2.1]', '    wieght: 2'],
    want: [
      `${at(7, 5)} sites.fra.wieght: unknown key "wieght" in site fra (expected one of: location, country, continent, subdivision, addresses, weight, state, probe, min_healthy, nameserver) [unknown-key]`,
    ],
    at: ['wieght'],
  },
  {
    name: 'unknown keys in a steer stanza',
    lines: [
      ...SITES,
      '  fra:',
      '    addresses: [192.0.2.1]',
      'records:',
      '  www:',
      '    steer: weighted',
      '    sites: [fra]',
      '    when_all_dwn: nodata',
    ],
    want: [
      `${at(11, 5)} records.www.when_all_dwn: unknown key "when_all_dwn" in a "steer: weighted" record (expected one of: steer, ttl, answers, when_all_down, fallback, sites, group) [unknown-key]`,
    ],
    at: ['when_all_dwn'],
  },
  {
    name: 'a country in two geo rules',
    lines: [
      ...SITES,
      '  iad:',
      '    addresses: [192.0.2.1]',
      '  sjc:',
      '    addresses: [192.0.2.2]',
      'records:',
      '  www:',
      '    steer: geo',
      '    rules:',
      '      - { country: [US, CA], sites: [iad] }',
      '      - { country: [MX, US], sites: [sjc] }',
      '      - { default: true, sites: [iad] }',
    ],
    want: [
      `${at(14, 25)} records.www.rules[1].country[1]: country US is already matched by records.www.rules[0]: a code or subnet may appear in one rule only [rule-conflict]`,
    ],
    at: ['US]'],
  },
  {
    name: 'a geo policy without a default rule',
    lines: [
      ...SITES,
      '  iad:',
      '    addresses: [192.0.2.1]',
      'records:',
      '  www:',
      '    steer: geo',
      '    rules:',
      '      - { country: [US], sites: [iad] }',
    ],
    want: [
      `${at(11, 7)} records.www.rules: a geo policy needs a default rule: { default: true, sites: [...] } [missing-key]`,
    ],
    at: ['- { country'],
  },
  {
    name: 'geo subnets finer than /24 and /56',
    lines: [
      ...SITES,
      '  iad:',
      '    addresses: [192.0.2.1]',
      'records:',
      '  www:',
      '    steer: geo',
      '    rules:',
      '      - { subnet: [198.51.100.128/25, 2001:db8::/64], sites: [iad] }',
      '      - { default: true, sites: [iad] }',
    ],
    want: [
      `${at(11, 20)} records.www.rules[0].subnet[0]: 198.51.100.128/25 is finer than clients are steered by (/24 for IPv4, /56 for IPv6) [bad-value]`,
      `${at(11, 39)} records.www.rules[0].subnet[1]: 2001:db8::/64 is finer than clients are steered by (/24 for IPv4, /56 for IPv6) [bad-value]`,
    ],
    at: ['198.51.100.128/25', '2001:db8::/64'],
  },
  {
    name: 'a geo subnet with host bits set',
    lines: [
      ...SITES,
      '  iad:',
      '    addresses: [192.0.2.1]',
      'records:',
      '  www:',
      '    steer: geo',
      '    rules:',
      '      - { subnet: 198.51.100.1/24, sites: [iad] }',
      '      - { default: true, sites: [iad] }',
    ],
    want: [
      `${at(11, 19)} records.www.rules[0].subnet: host bits set in "198.51.100.1/24": the network is 198.51.100.0/24 [bad-value]`,
    ],
    at: ['198.51.100.1/24'],
  },
  {
    name: 'when_all_down: fallback without fallback addresses',
    lines: [
      ...SITES,
      '  fra:',
      '    addresses: [192.0.2.1]',
      'records:',
      '  www:',
      '    steer: weighted',
      '    sites: [fra]',
      '    when_all_down: fallback',
    ],
    want: [
      `${at(11, 20)} records.www.when_all_down: when_all_down: fallback needs a "fallback:" list of addresses (a "sorry" site) [missing-key]`,
    ],
    at: ['fallback'],
  },
  {
    name: 'fallback addresses without when_all_down: fallback',
    lines: [
      ...SITES,
      '  fra:',
      '    addresses: [192.0.2.1]',
      'records:',
      '  www:',
      '    steer: weighted',
      '    sites: [fra]',
      '    fallback: [192.0.2.99]',
    ],
    want: [
      `${at(11, 5)} records.www.fallback: "fallback" is only used with when_all_down: fallback [bad-value]`,
    ],
    at: ['fallback:'],
  },
  {
    name: 'static A, AAAA and CNAME beside steer (other types may stay)',
    lines: [
      ...SITES,
      '  fra:',
      '    addresses: [192.0.2.1]',
      'records:',
      '  www:',
      '    steer: weighted',
      '    sites: [fra]',
      '    A: 192.0.2.7',
      '    AAAA: 2001:db8::7',
      '    CNAME: web',
      '    TXT: fine',
    ],
    want: [
      `${at(11, 5)} records.www.A: www.example.org is steered: its A answers come from its sites, so it cannot also have static A records [bad-value]`,
      `${at(12, 5)} records.www.AAAA: www.example.org is steered: its AAAA answers come from its sites, so it cannot also have static AAAA records [bad-value]`,
      `${at(13, 5)} records.www.CNAME: a CNAME cannot stand beside the steered A/AAAA answers of www.example.org (RFC 1034 3.6.2) [cname-and-other-data]`,
    ],
    at: ['A:', 'AAAA:', 'CNAME:'],
  },
  {
    name: 'a steered name below a delegation',
    lines: [
      ...SITES,
      '  fra:',
      '    addresses: [192.0.2.1]',
      'records:',
      '  sub:',
      '    NS: ns.example.net.',
      '  www.sub:',
      '    steer: weighted',
      '    sites: [fra]',
    ],
    want: [
      `${at(11, 5)} records."www.sub": www.sub.example.org is at or below a delegation, so its steered answers would never be served [occluded-data]`,
    ],
    at: ['steer'],
  },
  {
    name: 'a site in two failover groups',
    lines: [
      ...SITES,
      '  iad:',
      '    addresses: [192.0.2.1]',
      '  fra:',
      '    addresses: [192.0.2.2]',
      'records:',
      '  www:',
      '    steer: failover',
      '    groups: [[iad, fra], [fra]]',
    ],
    want: [
      `${at(12, 27)} records.www.groups[1][0]: site fra is already in records.www.groups[0]: a site belongs to one group [bad-value]`,
    ],
    at: ['fra]]'],
  },
  // steer: delegate (docs/delegation.md): sites' nameservers, the cut, what a referral cannot do.
  {
    name: 'a site without a nameserver under steer: delegate',
    lines: [
      ...SITES,
      '  fra:',
      '    addresses: [192.0.2.1]',
      '    nameserver: { name: ns.fra, addresses: [192.0.2.53] }',
      '  iad:',
      '    addresses: [192.0.2.2]',
      'records:',
      '  edge:',
      '    steer: delegate',
      '    sites: [fra, iad]',
    ],
    want: [
      `${at(13, 18)} records.edge.sites[1]: site iad has no nameserver: steer: delegate refers resolvers to the nameserver of each of its sites, so site iad needs nameserver: { name, addresses } [missing-key]`,
    ],
    at: ['iad]'],
  },
  {
    name: 'records and a steered name below a delegated name',
    lines: [
      ...SITES,
      '  fra:',
      '    addresses: [192.0.2.1]',
      '    nameserver: { name: ns.example.net. }',
      'records:',
      '  edge:',
      '    steer: delegate',
      '    sites: [fra]',
      '  www.edge:',
      '    A: 192.0.2.9',
      '  app.edge:',
      '    steer: weighted',
      '    sites: [fra]',
    ],
    want: [
      `${at(13, 8)} records."www.edge".A: www.edge.example.org is below the delegation at edge.example.org, so its A records would never be served (addresses below a delegation are kept only as glue for a nameserver this zone names) [occluded-data]`,
      `${at(15, 5)} records."app.edge": app.edge.example.org is at or below a delegation, so its steered answers would never be served [occluded-data]`,
    ],
    at: ['192.0.2.9', 'steer'],
  },
  {
    name: 'static records beside steer: delegate',
    lines: [
      ...SITES,
      '  fra:',
      '    addresses: [192.0.2.1]',
      '    nameserver: { name: ns.example.net. }',
      'records:',
      '  edge:',
      '    steer: delegate',
      '    sites: [fra]',
      '    TXT: hello',
      '    NS: ns.example.com.',
    ],
    want: [
      `${at(12, 5)} records.edge.TXT: edge.example.org is delegated (steer: delegate), so its TXT records would never be served [occluded-data]`,
      `${at(13, 5)} records.edge.NS: edge.example.org is delegated (steer: delegate), so its NS records would never be served [occluded-data]`,
    ],
    at: ['TXT', 'NS'],
  },
  {
    name: 'fallback with steer: delegate: a referral has no addresses to fall back to',
    lines: [
      ...SITES,
      '  fra:',
      '    addresses: [192.0.2.1]',
      '    nameserver: { name: ns.example.net. }',
      'records:',
      '  edge:',
      '    steer: delegate',
      '    sites: [fra]',
      '    when_all_down: fallback',
      '    fallback: [192.0.2.99]',
    ],
    want: [
      `${at(12, 20)} records.edge.when_all_down: when_all_down: fallback cannot be used with steer: delegate: a referral names nameservers, not addresses; use serve_all (refer to every site) or nodata [bad-value]`,
      `${at(13, 5)} records.edge.fallback: "fallback" cannot be used with steer: delegate: a referral names nameservers, not addresses (when_all_down: serve_all or nodata) [bad-value]`,
    ],
    at: ['fallback', 'fallback:'],
  },
  {
    name: 'site nameservers follow the glue rules of nameservers:',
    lines: [
      ...SITES,
      '  fra:',
      '    addresses: [192.0.2.1]',
      '    nameserver: { name: ns.fra }',
      '  iad:',
      '    addresses: [192.0.2.2]',
      '    nameserver: { name: ns.example.net., addresses: [192.0.2.53] }',
    ],
    want: [
      `${at(7, 25)} sites.fra.nameserver.name: ns.fra.example.org is inside zone example.org, so it needs its addresses (glue), e.g. addresses: [192.0.2.53] [missing-glue]`,
      `${at(10, 53)} sites.iad.nameserver.addresses: ns.example.net is outside zone example.org: its addresses are not served here; give only its name [out-of-zone]`,
    ],
    at: ['ns.fra', '[192.0.2.53]'],
  },
  {
    name: 'two sites with one nameserver, and a nameserver that is not a mapping',
    lines: [
      ...SITES,
      '  fra:',
      '    addresses: [192.0.2.1]',
      '    nameserver: { name: ns.example.net. }',
      '  iad:',
      '    addresses: [192.0.2.2]',
      '    nameserver: { name: NS.example.net. }',
      '  sin:',
      '    addresses: [192.0.2.3]',
      '    nameserver: ns.sin',
    ],
    want: [
      `${at(10, 25)} sites.iad.nameserver.name: nameserver NS.example.net is already site fra's (sites.fra.nameserver.name): each site needs a nameserver of its own, so that a referral can leave a site out [bad-value]`,
      `${at(13, 17)} sites.sin.nameserver: must be a mapping { name, addresses }, got string "ns.sin" [wrong-type]`,
    ],
    at: ['NS.example.net.', 'ns.sin'],
  },
  {
    name: 'steer: delegate at the apex',
    lines: [
      ...SITES,
      '  fra:',
      '    addresses: [192.0.2.1]',
      '    nameserver: { name: ns.example.net. }',
      'records:',
      "  '@':",
      '    steer: delegate',
      '    sites: [fra]',
    ],
    want: [
      `${at(10, 12)} records.@.steer: the apex cannot be delegated: steer: delegate makes a child zone below example.org, e.g. edge.example.org [bad-value]`,
    ],
    at: ['delegate'],
  },
  {
    name: 'steer: delegate on a wildcard',
    lines: [
      ...SITES,
      '  fra:',
      '    addresses: [192.0.2.1]',
      '    nameserver: { name: ns.example.net. }',
      'records:',
      "  '*.edge':",
      '    steer: delegate',
      '    sites: [fra]',
    ],
    want: [
      `${at(10, 12)} records."*.edge".steer: a wildcard cannot be delegated: it cannot own NS records (RFC 4592 4.2) [bad-value]`,
    ],
    at: ['delegate'],
  },
];

function tokenAt(lines: string[], p: Problem): string {
  return (lines[p.line - 1] ?? '').slice(p.col - 1);
}

describe('zone validation: one problem per rejection, exactly', () => {
  it.each(rows.map((r) => [r.name, r] as const))('%s', (_name, row) => {
    const r = compileText(FILE, row.lines.join('\n') + '\n');
    expect(r.problems.map(formatProblem)).toEqual(row.want);
    expect(r.zone).toBeNull();
    row.at.forEach((token, i) =>
      expect(
        tokenAt(row.lines, r.problems[i]!).startsWith(token),
        `problem ${i} points at ${JSON.stringify(tokenAt(row.lines, r.problems[i]!))}`,
      ).toBe(true),
    );
  });

  it('every code in the catalogue is exercised by a row above (or by the loadZoneDir tests below)', () => {
    const seen = new Set(rows.flatMap((r) => r.want.map((w) => /\[([a-z-]+)\]$/.exec(w)![1])));
    // no-zones comes from a reload (test/reload.test.ts, test/docs.test.ts).
    seen.add(ProblemCode.duplicateZone).add(ProblemCode.io).add(ProblemCode.noZones);
    // dnssec-key comes from reading key files (test/dnssec-config.test.ts).
    seen.add(ProblemCode.dnssecKey);
    // The limits have a file of their own (test/zone-limits.test.ts).
    for (const c of [
      'fileTooLarge',
      'nestingTooDeep',
      'tooManyNames',
      'tooManyRecords',
      'rrsetTooLarge',
    ] as const)
      seen.add(ProblemCode[c]);
    expect([...seen].sort()).toEqual(Object.values(ProblemCode).sort());
  });
});

describe('zone validation: every problem at once', () => {
  it('reports problems from every phase of one file, in reading order', () => {
    const lines = [
      'zone: example.org', // 1
      'tll: 60', // 2
      'nameservers:', // 3
      '  ns1:', // 4: in zone, no glue
      'records:', // 5
      '  www:', // 6
      '    A: [192.0.2.1, 192.0.2.256]', // 7
      '    CNAME: web', // 8: beside A (the good address still counts)
      '  WWW:', // 9
      '    TXT: [true]', // 10: case duplicate, and its own value is still checked
      '  sub:', // 11
      '    NS: ns.sub', // 12: no glue
      '  x.sub:', // 13
      '    TXT: hidden', // 14: occluded
      '  mail:', // 15
      '    MX: 10', // 16
    ];
    const r = compileText(FILE, lines.join('\n'));
    expect(r.problems.map(formatProblem)).toEqual([
      `${at(2, 1)} tll: unknown key "tll" in zone file (expected one of: zone, ttl, soa, nameservers, sites, records, dnssec) [unknown-key]`,
      `${at(4, 3)} nameservers.ns1: ns1.example.org is inside zone example.org, so it needs its addresses (glue), e.g. ns1: [192.0.2.53] [missing-glue]`,
      `${at(7, 20)} records.www.A[1]: not an IPv4 address: "192.0.2.256" [bad-address]`,
      `${at(8, 12)} records.www.CNAME: a CNAME cannot stand beside other data (A) at www.example.org (RFC 1034 3.6.2) [cname-and-other-data]`,
      `${at(9, 3)} records.WWW: WWW.example.org is the same name as www.example.org (records.www); DNS names are case-insensitive (RFC 4343) [case-duplicate]`,
      `${at(10, 11)} records.WWW.TXT[0]: must be a string, got boolean true [wrong-type]`,
      `${at(12, 9)} records.sub.NS: nameserver ns.sub.example.org is inside zone example.org, so it needs A or AAAA records (glue) under records: [missing-glue]`,
      `${at(14, 10)} records."x.sub".TXT: x.sub.example.org is below the delegation at sub.example.org, so its TXT records would never be served [occluded-data]`,
      `${at(16, 9)} records.mail.MX: MX must be "PREFERENCE EXCHANGE" (e.g. "10 mail.example.com."), got "10" [bad-value]`,
    ]);
    expect(r.zone).toBeNull();
  });

  it('a duplicate key fails the zone even though everything else is fine', () => {
    const r = compileText(
      FILE,
      ['zone: example.org', 'nameservers:', '  ns1.example.net.:', 'ttl: 60', 'ttl: 60'].join('\n'),
    );
    expect(r.problems.map(formatProblem)).toEqual([
      `${at(5, 1)} ttl: duplicate key "ttl": the first is at line 4, column 1, and YAML keeps only one [duplicate-key]`,
    ]);
    expect(r.zone).toBeNull();
  });

  it('a bad glue address does not also claim the glue is missing', () => {
    const lines = [...HEAD, '  sub:', '    NS: ns1.sub', '  ns1.sub:', '    A: 192.0.2.999'];
    expect(compileText(FILE, lines.join('\n')).problems.map(formatProblem)).toEqual([
      `${at(8, 8)} records."ns1.sub".A: not an IPv4 address: "192.0.2.999" [bad-address]`,
    ]);
  });
});

describe('zone validation: accepted edge cases (so the rejections above are not too broad)', () => {
  const ok = (lines: string[]) => {
    const r = compileText(FILE, lines.join('\n'));
    expect(r.problems.map(formatProblem)).toEqual([]);
    expect(r.zone).not.toBeNull();
    return r.zone!;
  };
  it('a label of exactly 63 octets and a name of exactly 255', () => {
    // 3 * 64 + 50 + 12 (".example.org" as 7+1 and 3+1 octets) + 1 (root) = 255.
    const z = ok([...HEAD, `  ${L63}.${L63}.${L63}.${'d'.repeat(49)}:`, '    A: 192.0.2.1']);
    expect(z.nodes.has(`${L63}.${L63}.${L63}.${'d'.repeat(49)}.example.org`)).toBe(true);
  });
  it('TTLs of 0 and 2^31 - 1', () => {
    ok([
      'zone: example.org',
      'ttl: 0',
      'nameservers:',
      '  ns1.example.net.:',
      'records:',
      '  www:',
      '    ttl: 2147483647',
      '    A: 192.0.2.1',
    ]);
  });
  it('TXT values differing only in case are different records', () => {
    ok([...HEAD, '  www:', '    TXT: [Hello, hello]']);
  });
  it('glue for an apex nameserver that sits inside a delegated child', () => {
    ok([
      'zone: example.org',
      'nameservers:',
      '  ns1.sub: 192.0.2.53',
      'records:',
      '  sub:',
      '    NS: ns.example.net.',
    ]);
  });
  it('steering: a steered apex and wildcard, TXT beside steer, a CNAME to a steered name', () => {
    const z = ok([
      ...SITES,
      '  fra:',
      '    addresses: 192.0.2.1',
      'records:',
      "  '@':",
      '    steer: weighted',
      '    sites: fra',
      '    TXT: hello',
      "  '*.cdn':",
      '    steer: failover',
      '    groups: [fra]',
      '  www:',
      '    CNAME: example.org.',
    ]);
    expect(z.nodes.get('example.org')!.dynamic!.kind).toBe('weighted');
    expect(z.nodes.get('*.cdn.example.org')!.dynamic!.kind).toBe('failover');
  });
  it('A and AAAA at a delegation point when it is its own nameserver', () => {
    ok([...HEAD, '  sub:', '    NS: sub', '    A: 192.0.2.9']);
  });
});

describe('loadZoneDir', () => {
  let dir = '';
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });
  const zone = (origin: string) => `zone: ${origin}\nnameservers:\n  ns1.nameservers.test.:\n`;

  it('rejects the same zone in two files, pointing at the second zone: value', async () => {
    dir = await mkdtemp(join(tmpdir(), 'geosteer-zones-'));
    await writeFile(join(dir, 'a.yaml'), zone('example.org'));
    // Same zone in another spelling: case and trailing dot do not make it another zone.
    await writeFile(
      join(dir, 'b.yml'),
      '# a copy of a.yaml\n\nzone:   Example.ORG.\nnameservers:\n  ns2.example.net.:\n',
    );
    await writeFile(join(dir, 'c.yaml'), zone('example.net'));
    const r = await loadZoneDir(dir);
    expect(r.problems.map(formatProblem)).toEqual([
      `${join(dir, 'b.yml')}:3:9: zone: zone Example.ORG is already defined at ${join(dir, 'a.yaml')}:1:7 [duplicate-zone]`,
    ]);
    expect(r.zones.map((z) => z.origin)).toEqual(['example.org', 'example.net']);
  });

  it('loads only *.yaml and *.yml files, not dotfiles or others', async () => {
    dir = await mkdtemp(join(tmpdir(), 'geosteer-zones-'));
    await writeFile(join(dir, 'a.yaml'), zone('example.org'));
    await writeFile(join(dir, '.a.yaml.swp'), 'not yaml: [');
    await writeFile(join(dir, '.hidden.yaml'), 'not yaml: [');
    await writeFile(join(dir, 'README.md'), '# zones');
    await mkdir(join(dir, 'sub.yaml'));
    await writeFile(join(dir, 'sub.yaml', 'x.yaml'), 'not yaml: [');
    const r = await loadZoneDir(dir);
    expect(r.problems.map(formatProblem)).toEqual([
      `${join(dir, 'sub.yaml')}:1:1: EISDIR: illegal operation on a directory, read [io-error]`,
    ]);
    expect(r.zones.map((z) => z.origin)).toEqual(['example.org']);
  });

  it("reports every file's problems, in file order, and keeps no zone from a broken file", async () => {
    dir = await mkdtemp(join(tmpdir(), 'geosteer-zones-'));
    await writeFile(join(dir, 'a.yaml'), 'zone: example.org\nnameservers:\n  ns1:\n');
    await writeFile(
      join(dir, 'b.yaml'),
      'zone: example.net\nnameservers:\n  ns1.example.org.:\nrecords:\n  www:\n    A: 300.0.0.1\n',
    );
    const r = await loadZoneDir(dir);
    expect(r.problems.map(formatProblem)).toEqual([
      `${join(dir, 'a.yaml')}:3:3: nameservers.ns1: ns1.example.org is inside zone example.org, so it needs its addresses (glue), e.g. ns1: [192.0.2.53] [missing-glue]`,
      `${join(dir, 'b.yaml')}:6:8: records.www.A: not an IPv4 address: "300.0.0.1" [bad-address]`,
    ]);
    expect(r.zones).toEqual([]);
  });

  it('a missing directory is one io-error', async () => {
    const missing = join(tmpdir(), 'geosteer-no-such-dir-' + process.pid);
    const r = await loadZoneDir(missing);
    expect(r.problems.map((p) => [p.file, p.line, p.col, p.code])).toEqual([
      [missing, 1, 1, 'io-error'],
    ]);
  });

  it('loadZoneFiles checks duplicates across an explicit list of files too', async () => {
    dir = await mkdtemp(join(tmpdir(), 'geosteer-zones-'));
    await writeFile(join(dir, 'one.yaml'), zone('example.org'));
    await writeFile(join(dir, 'two.yaml'), zone('example.org'));
    const r = await loadZoneFiles([join(dir, 'two.yaml'), join(dir, 'one.yaml')]);
    expect(r.problems.map(formatProblem)).toEqual([
      `${join(dir, 'one.yaml')}:1:7: zone: zone example.org is already defined at ${join(dir, 'two.yaml')}:1:7 [duplicate-zone]`,
    ]);
  });
});
