// Long-lived client sockets for end-to-end tests: a UDP socket and a TCP connection that keep
// every reply in an inbox, so a test can send several messages and then read replies one by one
// with a bounded wait. Nothing here retries; a missing reply is a failure the test can see.
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect, type Socket } from 'node:net';

/** A queue that hands items to waiters, with a time limit on every wait. */
class Inbox<T> {
  private items: T[] = [];
  private waiters: ((v: T | null) => void)[] = [];
  private ended = false;

  /** No more items will come: waiters get null at once. */
  end(): void {
    this.ended = true;
    for (const w of this.waiters.splice(0)) w(null);
  }

  put(v: T): void {
    const w = this.waiters.shift();
    if (w) w(v);
    else this.items.push(v);
  }

  /** Next item, or null after `timeoutMs`. */
  take(timeoutMs: number): Promise<T | null> {
    const v = this.items.shift();
    if (v !== undefined) return Promise.resolve(v);
    if (this.ended) return Promise.resolve(null);
    return new Promise((resolve) => {
      const waiter = (x: T | null) => {
        clearTimeout(timer);
        resolve(x);
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        resolve(null);
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }
}

export class UdpClient {
  private readonly inbox = new Inbox<Buffer>();
  private constructor(
    private readonly sock: UdpSocket,
    private readonly port: number,
    private readonly host: string,
  ) {
    sock.on('message', (m) => this.inbox.put(m));
  }

  static async open(port: number, host = '127.0.0.1'): Promise<UdpClient> {
    const sock = createSocket(host.includes(':') ? 'udp6' : 'udp4');
    await new Promise<void>((r) => sock.bind(0, host, () => r()));
    return new UdpClient(sock, port, host);
  }

  send(msg: Buffer): void {
    this.sock.send(msg, this.port, this.host);
  }

  /** Next datagram received, or null after `timeoutMs`. */
  next(timeoutMs = 1000): Promise<Buffer | null> {
    return this.inbox.take(timeoutMs);
  }

  /** Send and wait for one reply (null on timeout). */
  async ask(msg: Buffer, timeoutMs = 1000): Promise<Buffer | null> {
    this.send(msg);
    return this.next(timeoutMs);
  }

  close(): Promise<void> {
    return new Promise((r) => this.sock.close(() => r()));
  }
}

export class TcpClient {
  private readonly inbox = new Inbox<Buffer>();
  private buf: Buffer = Buffer.alloc(0);
  /** Resolves when the server (or we) closed the connection; value: ms since open. */
  readonly closed: Promise<number>;
  private readonly openedAt = Date.now();
  isClosed = false;
  private constructor(readonly sock: Socket) {
    sock.on('data', (d: Buffer) => {
      this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
      while (this.buf.length >= 2 && this.buf.length >= 2 + this.buf.readUInt16BE(0)) {
        const n = this.buf.readUInt16BE(0);
        this.inbox.put(Buffer.from(this.buf.subarray(2, 2 + n)));
        this.buf = this.buf.subarray(2 + n);
      }
    });
    sock.on('error', () => {
      /* a reset shows up as 'close' */
    });
    this.closed = new Promise((resolve) =>
      sock.on('close', () => {
        this.isClosed = true;
        this.inbox.end();
        resolve(Date.now() - this.openedAt);
      }),
    );
  }

  /** `localAddress`: the source address (e.g. 127.0.6.1, to stand for another client network). */
  static open(port: number, host = '127.0.0.1', localAddress?: string): Promise<TcpClient> {
    return new Promise((resolve, reject) => {
      const sock = connect({
        port,
        host,
        noDelay: true,
        ...(localAddress ? { localAddress } : {}),
      });
      sock.once('connect', () => {
        sock.off('error', reject);
        resolve(new TcpClient(sock));
      });
      sock.once('error', reject);
    });
  }

  /** Send one message with its 2-octet length prefix (RFC 1035 4.2.2). */
  send(msg: Buffer): boolean {
    return this.sock.write(frame(msg));
  }

  /** Send bytes as they are (partial frames, several frames at once). */
  sendRaw(bytes: Buffer): boolean {
    return this.sock.write(bytes);
  }

  /** Next complete reply, or null after `timeoutMs` or once the connection is closed. */
  next(timeoutMs = 2000): Promise<Buffer | null> {
    return this.inbox.take(timeoutMs);
  }

  async ask(msg: Buffer, timeoutMs = 2000): Promise<Buffer | null> {
    this.send(msg);
    return this.next(timeoutMs);
  }

  /** Wait for the server to close the connection; the elapsed ms since open, or null on timeout. */
  waitClosed(timeoutMs: number): Promise<number | null> {
    return Promise.race([
      this.closed,
      new Promise<null>((r) => setTimeout(() => r(null), timeoutMs)),
    ]);
  }

  /** Stop reading, so the server's write backlog grows; resume() reads again. */
  pause(): void {
    this.sock.pause();
  }

  resume(): void {
    this.sock.resume();
  }

  close(): void {
    this.sock.destroy();
  }
}

export function frame(msg: Buffer): Buffer {
  const len = Buffer.alloc(2);
  len.writeUInt16BE(msg.length);
  return Buffer.concat([len, msg]);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Poll `check` until it returns a value other than undefined, or fail after `timeoutMs`. */
export async function eventually<T>(
  check: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 3000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(25);
  }
}

export type Transport = 'udp' | 'tcp';

/** One query, one reply, over a fresh socket; null when nothing came back in time. */
export async function exchange(
  transport: Transport,
  port: number,
  msg: Buffer,
  timeoutMs = 1500,
  host = '127.0.0.1',
): Promise<Buffer | null> {
  if (transport === 'udp') {
    const c = await UdpClient.open(port, host);
    try {
      return await c.ask(msg, timeoutMs);
    } finally {
      await c.close();
    }
  }
  const c = await TcpClient.open(port, host);
  try {
    return await c.ask(msg, timeoutMs);
  } finally {
    c.close();
  }
}

/**
 * Send `msgs`, then `marker` (a query with an ID none of them uses), over one socket, and return
 * the replies that came before the marker's. The server answers a UDP socket's datagrams and a
 * TCP connection's frames in order, so this shows exactly which messages got a reply (dropped
 * ones get none) without waiting out a timeout.
 */
export async function repliesBefore(
  transport: Transport,
  port: number,
  msgs: Buffer[],
  marker: Buffer,
  timeoutMs = 2000,
): Promise<Buffer[]> {
  const markerId = marker.readUInt16BE(0);
  const c = transport === 'udp' ? await UdpClient.open(port) : await TcpClient.open(port);
  try {
    for (const m of msgs) c.send(m);
    c.send(marker);
    const out: Buffer[] = [];
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const r = await c.next(Math.max(1, deadline - Date.now()));
      if (!r)
        throw new Error(
          `${transport}: no reply to the marker query within ${timeoutMs} ms (${out.length} other replies)`,
        );
      if (r.length >= 2 && r.readUInt16BE(0) === markerId) return out;
      out.push(r);
    }
  } finally {
    if (c instanceof UdpClient) await c.close();
    else c.close();
  }
}
