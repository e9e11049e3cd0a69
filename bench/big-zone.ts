// The big zone of the reload row (bench/reload.ts) and of test/threads-reload-load.test.ts: a
// module of its own, so the test imports no benchmark servers (knot) with it.

/** A zone of `n` A records, with record 0's address `first` (changed to make an edit). */
export function bigZone(n: number, first: string): string {
  const lines = ['zone: big.test', 'nameservers:', '  ns1.big.test: [192.0.2.53]', 'records:'];
  lines.push(`  h0: { A: [${first}] }`);
  for (let i = 1; i < n; i++)
    lines.push(`  h${i}: { A: [10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}] }`);
  return lines.join('\n') + '\n';
}
