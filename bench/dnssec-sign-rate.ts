// The cold signing rate and the signature cache's memory per answer variant (issue #13), on one
// core: `node --expose-gc --import tsx bench/dnssec-sign-rate.ts`. Each variant is what a steered
// name answers for one choice: an A RRset of two addresses with its own TTL, signed once by the
// zone's key. Bounded: VARIANTS signatures per algorithm, nothing else running.
import { SignatureCache } from '../src/dnssec/signature-cache.js';
import { generateKey } from '../src/dnssec/keys.js';
import type { RRset } from '../src/wire/rr.js';

const VARIANTS = Number(process.env.VARIANTS ?? 20_000);
const ZONE = 'signed.example.com';
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');

function variant(i: number): RRset {
  const a = (n: number) => {
    const bytes = Uint8Array.of(198, 51, (n >> 8) & 0xff, n & 0xff);
    return { kind: 'a' as const, address: bytes.join('.'), bytes };
  };
  return { name: `www.${ZONE}`, type: 1, ttl: 30 + (i % 7), rdata: [a(2 * i), a(2 * i + 1)] };
}

for (const algorithm of [13, 15] as const) {
  const key = generateKey(ZONE, { algorithm, sep: true, now: Date.now() / 1000 });
  const sets = Array.from({ length: VARIANTS }, (_, i) => variant(i));
  const cache = new SignatureCache({ maxEntries: VARIANTS });
  gc();
  const before = process.memoryUsage().heapUsed;
  const t0 = process.hrtime.bigint();
  for (const s of sets) cache.sign(s, key);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  gc();
  const bytes = (process.memoryUsage().heapUsed - before) / VARIANTS;
  const t1 = process.hrtime.bigint();
  for (const s of sets) cache.sign(s, key);
  const warm = Number(process.hrtime.bigint() - t1) / 1e9;
  console.log(
    `algorithm ${algorithm}: ${VARIANTS} variants, cold ${Math.round(VARIANTS / seconds)} signatures/s, ` +
      `warm ${Math.round(VARIANTS / warm)} lookups/s, ${Math.round(bytes)} bytes per cached variant ` +
      `(hits ${cache.stats.hits}, misses ${cache.stats.misses})`,
  );
}
