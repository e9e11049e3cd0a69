// The keys of a site under `sites:` and the limits of its values (docs/zone-format.md).
export const SITE_KEYS = [
  'location',
  'country',
  'continent',
  'subdivision',
  'addresses',
  'weight',
  'state',
  'probe',
  'min_healthy',
  'nameserver',
] as const;
/** Keys of an address written as a mapping. */
export const ADDRESS_KEYS = ['address', 'weight', 'probe'] as const;
export const MAX_WEIGHT = 1000;
