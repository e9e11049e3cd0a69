// Which TCP connections the server keeps, closes or refuses (src/server/tcp-table.ts), on an
// injected clock so every deadline is asserted to the millisecond. test/e2e-tcp-limits.test.ts
// checks the same rules over real sockets.
import { describe, expect, it } from 'vitest';
import { ConnectionTable, type TableLimits, type TcpConnection } from '../src/server/tcp-table.js';
import { networkOf } from '../src/server/tcp-network.js';
import { FakeClock } from './helpers/fake-clock.js';

const LIMITS: TableLimits = {
  maxConnections: 4,
  perNetwork: 3,
  ipv4Prefix: 24,
  ipv6Prefix: 56,
  idleTimeoutMs: 10_000,
  pressureIdleTimeoutMs: 1000,
  messageTimeoutMs: 2000,
};

/** A table whose connections record how they were closed, by name. */
function table(limits: Partial<TableLimits> = {}, earlyMs = 0) {
  const clock = new FakeClock(0, earlyMs);
  const t = new ConnectionTable({ ...LIMITS, ...limits }, clock);
  const closed: string[] = [];
  const conns = new Map<string, TcpConnection>();
  const open = (name: string, address: string) => {
    const a = t.admit(address, () => closed.push(name));
    if (a.ok) conns.set(name, a.conn);
    return a;
  };
  const conn = (name: string) => conns.get(name)!;
  return { t, clock, closed, open, conn };
}

describe('client networks', () => {
  it.each([
    ['198.51.100.7', 24, 56, '198.51.100.0/24'],
    ['198.51.100.7', 32, 56, '198.51.100.7/32'],
    ['198.51.100.200', 25, 56, '198.51.100.128/25'],
    ['198.51.100.7', 0, 56, '0.0.0.0/0'],
    ['::ffff:198.51.100.7', 24, 56, '198.51.100.0/24'],
    ['2001:db8:0:ab12::1', 24, 56, '2001:db8:0:ab00:0:0:0:0/56'],
    ['2001:db8:0:abff:ffff::1', 24, 64, '2001:db8:0:abff:0:0:0:0/64'],
    ['2001:db8::1', 24, 128, '2001:db8:0:0:0:0:0:1/128'],
    ['fe80::1%eth0', 24, 10, 'fe80:0:0:0:0:0:0:0/10'],
    ['::1', 24, 56, '0:0:0:0:0:0:0:0/56'],
    ['64:ff9b::192.0.2.33', 24, 120, '64:ff9b:0:0:0:0:c000:200/120'],
  ])('%s with /%i and /%i is in %s', (address, v4, v6, network) => {
    expect(networkOf(address, v4, v6)).toBe(network);
  });
});

describe('admission', () => {
  it('closes a new connection past its network limit at once; other networks are unaffected', () => {
    const { t, open } = table({ maxConnections: 10 });
    for (const host of [1, 2, 3]) expect(open(`a${host}`, `192.0.2.${host}`).ok).toBe(true);
    expect(open('a4', '192.0.2.200')).toEqual({
      ok: false,
      reason: 'network_limit',
      network: '192.0.2.0/24',
    });
    expect(open('b1', '192.0.3.1').ok).toBe(true);
    expect(t.stats).toMatchObject({ open: 4, accepted: 4 });
    expect(t.stats.closed.network_limit).toBe(1);
  });

  it('frees a network slot when one of its connections ends', () => {
    const { t, open, conn } = table({ maxConnections: 10 });
    for (const n of ['a', 'b', 'c']) open(n, '192.0.2.1');
    t.ended(conn('b'), 'client');
    expect(open('d', '192.0.2.1').ok).toBe(true);
    expect(t.stats.closed.client).toBe(1);
  });

  it('at the cap, closes the connection idle longest to admit the new one', async () => {
    const { t, clock, closed, open, conn } = table({ perNetwork: 10 });
    for (const n of ['a', 'b', 'c', 'd']) {
      open(n, '192.0.2.1');
      await clock.advance(10);
    }
    // a answers a query (progress): b is now the one idle longest.
    t.mark(conn('a'), false, true);
    const e = open('e', '198.51.100.1');
    expect(e.ok && e.evicted).toBe(conn('b'));
    expect(closed).toEqual(['b']);
    expect(t.stats).toMatchObject({ open: 4, accepted: 5 });
    expect(t.stats.closed.pressure).toBe(1);
  });

  it('never evicts a busy connection; refuses the new one when none is idle', () => {
    const { t, closed, open, conn } = table({ perNetwork: 10 });
    for (const n of ['a', 'b', 'c', 'd']) open(n, '192.0.2.1');
    for (const n of ['a', 'b', 'c']) t.mark(conn(n), true, false);
    const e = open('e', '198.51.100.1');
    expect(e.ok && e.evicted).toBe(conn('d'));
    t.mark(conn('e'), true, false);
    expect(open('f', '198.51.100.2')).toEqual({
      ok: false,
      reason: 'full',
      network: '198.51.100.0/24',
    });
    expect(closed).toEqual(['d']);
    expect(t.stats.closed).toMatchObject({ pressure: 1, full: 1 });
  });
});

describe('timeouts', () => {
  it('closes an idle connection after the idle timeout, counted from its last progress', async () => {
    const { t, clock, closed, open, conn } = table();
    open('a', '192.0.2.1');
    await clock.advance(6000);
    t.mark(conn('a'), false, true);
    await clock.advance(9999);
    expect(closed).toEqual([]);
    await clock.advance(1);
    expect(closed).toEqual(['a']);
    expect(t.stats.closed.idle).toBe(1);
    expect(clock.pending).toBe(0);
  });

  it('shortens the idle timeout above half the cap, and lengthens it again below', async () => {
    const { t, clock, closed, open } = table({ perNetwork: 10 });
    open('a', '192.0.2.1');
    open('b', '192.0.2.1');
    await clock.advance(500);
    expect(t.idleTimeoutMs).toBe(10_000);
    // A third of four: above half, so every idle connection now has 1 s.
    open('c', '192.0.2.1');
    expect(t.underPressure).toBe(true);
    expect(t.idleTimeoutMs).toBe(1000);
    await clock.advance(499);
    expect(closed).toEqual([]);
    await clock.advance(1);
    // a goes at 1000 ms; then two are open, not above half: b keeps the long timeout.
    expect(closed).toEqual(['a']);
    expect(t.idleTimeoutMs).toBe(10_000);
    await clock.advance(8999);
    expect(closed).toEqual(['a']);
    await clock.advance(1);
    expect(closed).toEqual(['a', 'b']);
  });

  it('closes a connection stuck mid-message after the message timeout, whatever bytes trickle in', async () => {
    const { t, clock, closed, open, conn } = table();
    open('a', '192.0.2.1');
    await clock.advance(100);
    t.mark(conn('a'), true, false);
    for (let i = 0; i < 19; i++) {
      await clock.advance(100);
      t.mark(conn('a'), true, false);
    }
    expect(closed).toEqual([]);
    await clock.advance(100);
    expect(closed).toEqual(['a']);
    expect(t.stats.closed.slow).toBe(1);
  });

  it('restarts the message timeout on progress (a whole query in, a reply out)', async () => {
    const { t, clock, closed, open, conn } = table();
    open('a', '192.0.2.1');
    t.mark(conn('a'), true, false);
    await clock.advance(1500);
    t.mark(conn('a'), true, true);
    await clock.advance(1999);
    expect(closed).toEqual([]);
    await clock.advance(1);
    expect(closed).toEqual(['a']);
  });

  it('holds a stalled connection no longer than the idle timeout in force', async () => {
    const { t, clock, closed, open, conn } = table({ idleTimeoutMs: 300 });
    open('a', '192.0.2.1');
    t.mark(conn('a'), true, false);
    await clock.advance(299);
    expect(closed).toEqual([]);
    await clock.advance(1);
    expect(closed).toEqual(['a']);
    expect(t.stats.closed.slow).toBe(1);
  });

  it('takes a timer firing a millisecond early as due (no busy loop of 0 ms timers)', async () => {
    const { clock, closed, open } = table({}, 1);
    open('a', '192.0.2.1');
    await clock.advance(9999);
    expect(closed).toEqual([]);
    await clock.advance(1);
    expect(closed).toEqual(['a']);
  });

  it('counts a connection once, however many ways it ends', () => {
    const { t, closed, open, conn } = table();
    open('a', '192.0.2.1');
    t.close(conn('a'), 'slow');
    t.ended(conn('a'), 'client');
    t.close(conn('a'), 'error');
    t.mark(conn('a'), true, true);
    expect(closed).toEqual(['a']);
    expect(t.stats.open).toBe(0);
    expect(t.stats.closed).toMatchObject({ slow: 1, client: 0, error: 0 });
  });
});
