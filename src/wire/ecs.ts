// EDNS Client Subnet (RFC 7871): parse the option a resolver sends, and write the echo.

export const ECS_OPTION = 8;
/** RFC 7871 11.1: resolvers should not send more than /24 (IPv4) or /56 (IPv6); longer is truncated here. */
export const MAX_STEERING_PREFIX = { 4: 24, 6: 56 } as const;

export interface ClientSubnet {
  family: 4 | 6;
  /** SOURCE PREFIX-LENGTH as sent. */
  sourcePrefix: number;
  /** The address, zero-padded to 4 or 16 octets. */
  address: Uint8Array;
}

/**
 * Parse an ECS option's data. Null when malformed (RFC 7871 6, 7.1.1): unknown family, a source
 * prefix longer than the address, an ADDRESS of the wrong length or with bits set beyond the
 * prefix, or a non-zero SCOPE PREFIX-LENGTH in a query. Malformed ECS gets FORMERR.
 */
export function parseEcs(data: Uint8Array): ClientSubnet | null {
  if (data.length < 4) return null;
  const fam = (data[0]! << 8) | data[1]!;
  const source = data[2]!;
  const scope = data[3]!;
  const family = fam === 1 ? 4 : fam === 2 ? 6 : 0;
  if (family === 0 || scope !== 0) return null;
  const size = family === 4 ? 4 : 16;
  if (source > size * 8) return null;
  const octets = Math.ceil(source / 8);
  if (data.length !== 4 + octets) return null;
  const address = new Uint8Array(size);
  address.set(data.subarray(4, 4 + octets));
  // Bits beyond SOURCE PREFIX-LENGTH must be zero (RFC 7871 6).
  if (source % 8 !== 0 && (address[octets - 1]! & (0xff >> (source % 8))) !== 0) return null;
  return { family, sourcePrefix: source, address };
}

/** Zero the bits of `address` beyond `prefix` (in place) and return it. */
export function truncate(address: Uint8Array, prefix: number): Uint8Array {
  for (let bit = prefix; bit < address.length * 8; bit++)
    address[bit >> 3]! &= ~(0x80 >> (bit & 7));
  return address;
}
