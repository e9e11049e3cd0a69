// The keys of a zone file and the limits of its values, shared by the compile steps and the docs
// checks (test/docs.test.ts).
/** RFC 2181 8: TTLs are unsigned 31-bit values. */
export const MAX_TTL = 2147483647;
export const DEFAULT_TTL = 300;
/** SOA timers when soa: leaves them out. negative_ttl is capped at a week; RFC 2308 5 finds 1-3 hours work well. */
export const SOA_DEFAULTS = {
  refresh: 3600,
  retry: 600,
  expire: 1209600,
  negative_ttl: 60,
} as const;
export const MAX_NEGATIVE_TTL = 604800;

// The key lists are exported so docs/zone-format.md can be checked against them (test/docs.test.ts).
export const ZONE_KEYS = [
  'zone',
  'ttl',
  'soa',
  'nameservers',
  'sites',
  'records',
  'dnssec',
] as const;
export const SOA_KEYS = [
  'primary',
  'contact',
  'serial',
  'refresh',
  'retry',
  'expire',
  'negative_ttl',
  'ttl',
] as const;
export const STATIC_TYPES = ['A', 'AAAA', 'CNAME', 'MX', 'TXT', 'SRV', 'CAA', 'PTR', 'NS'] as const;
export const NODE_KEYS = ['ttl', ...STATIC_TYPES] as const;
