// The zone the steer: delegate tests share (not a test file itself): three sites, each with its own
// nameserver written one of the three ways docs/delegation.md allows (a sibling name inside the
// zone, a name below the delegation, a name in another zone), and two delegations.
export const ZONE = 'gslb.example.com';

export const PARENT = `zone: gslb.example.com
soa:
  contact: hostmaster@example.com
  negative_ttl: 60
  ttl: 300
nameservers:
  ns1.gslb.example.com: [192.0.2.53]
sites:
  us-east:
    addresses: [192.0.2.10, 192.0.2.11, 2001:db8:10::1]
    nameserver: { name: ns.us-east, addresses: [192.0.2.153, 2001:db8:10::53] }
  eu-west:
    addresses: [198.51.100.10, 2001:db8:20::1]
    nameserver: { name: ns-eu-west.edge, addresses: [198.51.100.153] }
  ap-south:
    addresses: [203.0.113.10]
    nameserver: { name: ns.ap-south.example.net. }
records:
  edge:
    steer: delegate
    sites: [us-east, eu-west, ap-south]
    ttl: 20
  api:
    steer: delegate
    sites: [eu-west, ap-south]
    when_all_down: nodata
  www:
    CNAME: edge
  static:
    A: 192.0.2.1
`;

/** The NS records of each site's nameserver in a referral or at the child apex, TTL 20 (edge). */
export const NS = {
  'us-east': 'edge.gslb.example.com 20 NS ns.us-east.gslb.example.com',
  'eu-west': 'edge.gslb.example.com 20 NS ns-eu-west.edge.gslb.example.com',
  'ap-south': 'edge.gslb.example.com 20 NS ns.ap-south.example.net',
} as const;

/** Glue: us-east's is sibling glue (optional), eu-west's is below the cut (required). */
export const GLUE = {
  'us-east': [
    'ns.us-east.gslb.example.com 300 A 192.0.2.153',
    'ns.us-east.gslb.example.com 300 AAAA 2001:db8:10::53',
  ],
  'eu-west': ['ns-eu-west.edge.gslb.example.com 300 A 198.51.100.153'],
  'ap-south': [],
} as const;
