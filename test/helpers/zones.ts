// Zone files for the end-to-end suites, built in code. Each record is there for one behaviour;
// the comment beside it says which.

/** Twenty TXT values of 100 octets: about 2.3 KB, over 1232 (EDNS) and 512 (classic). */
const huge = Array.from(
  { length: 20 },
  (_, i) => `'${String(i).padStart(2, '0')}${'h'.repeat(98)}'`,
).join(', ');
/** Eight TXT values of 100 octets: about 900 octets, over 512 but under 1232. */
const big = Array.from({ length: 8 }, (_, i) => `'${String(i)}${'b'.repeat(99)}'`).join(', ');

export const EXAMPLE_TEST = `
zone: example.test
ttl: 300
soa:
  primary: ns1.example.test
  contact: hostmaster@example.test
  ttl: 3600
  negative_ttl: 60 # RFC 2308: negative answers carry min(3600, 60) = 60
nameservers:
  ns1.example.test: [192.0.2.53, 2001:db8::53]
  ns.elsewhere.net.: # out of zone: no additional data
records:
  '@':
    MX: [10 mail, 20 mail.elsewhere.net.]
    TXT: ['apex']
  mail:
    A: [192.0.2.25]
    AAAA: [2001:db8::25]
  www:
    A: [192.0.2.1, 192.0.2.2]
    AAAA: [2001:db8::1]
    TXT: ['www text']
  alias:
    CNAME: www
  chain:
    CNAME: alias
  outside:
    CNAME: www.elsewhere.net.
  dangling:
    CNAME: missing
  loop1:
    CNAME: loop2
  loop2:
    CNAME: loop1
  '*.wild':
    A: [192.0.2.7]
  a.b.ent:
    TXT: ['b.ent and ent are empty non-terminals']
  _sip._tcp:
    SRV: [10 60 5060 sipserver]
  sipserver:
    A: [192.0.2.60]
  child: # delegated, glue inside the child
    NS: [ns1.child, ns.elsewhere.net.]
  ns1.child:
    A: [192.0.2.99]
    AAAA: [2001:db8::99]
  big:
    TXT: [${big}]
  huge:
    TXT: [${huge}]
`;

/** A zone nested inside example.test, loaded from its own file: longest match wins. */
export const NESTED_EXAMPLE_TEST = `
zone: nested.example.test
soa:
  ttl: 30
  negative_ttl: 600 # RFC 2308: min(30, 600) = 30
nameservers:
  ns1.example.test.:
records:
  www:
    A: [198.51.100.1]
`;

export const OTHER_TEST = `
zone: other.test
nameservers:
  ns1.other.test: [203.0.113.53]
records:
  www:
    A: [203.0.113.1]
`;

export const ALL_ZONES = {
  'example.test.yaml': EXAMPLE_TEST,
  'nested.example.test.yaml': NESTED_EXAMPLE_TEST,
  'other.test.yaml': OTHER_TEST,
};
