// One instance's connection to etcd, kept up for as long as the server runs: a lease, what the
// instance publishes under it, a full read of the prefix, then a watch from the revision after
// that read, so no change falls between the two (etcd's revisions order every write). When the
// lease is lost (etcd unreachable for twice its TTL, or etcd says it expired) the session starts
// over: new lease, publish again, read again. The sink hears everything; the session knows
// nothing of health or overrides.
import type { Etcd3, IKeyValue, Lease, Watcher } from 'etcd3';
import type { Logger } from '../base/log.js';

/** One key's new value (null: deleted), with the revision that wrote it. */
export interface KvChange {
  readonly key: string;
  readonly value: string | null;
  readonly revision: bigint;
}

export interface SessionSink {
  /** A new lease was granted: write what this instance publishes under it. */
  publish(lease: Lease): Promise<void>;
  /** Everything under the prefix as of `revision`, after a (re)start: replace what is held. */
  snapshot(kvs: readonly KvChange[], revision: bigint): void;
  /** Changes seen by the watch, in revision order, one batch per watch response. */
  changes(batch: readonly KvChange[]): void;
  /** Reachable or not (the first failure of a keepalive or the watch, the first success after). */
  connection(up: boolean): void;
}

/** Between two attempts to start a session; etcd's own clients retry at about this pace. */
export const RETRY_MS = 500;

/**
 * A stream that breaks is reopened on another member within a few hundred milliseconds (the
 * lease retries after 100 ms, the watch backs off from 100 ms): a member going down must change
 * nothing, so the instance counts as cut off only when it stays so for this long.
 */
export const GRACE_MS = 1500;

const toChange = (kv: IKeyValue, deleted: boolean): KvChange => ({
  key: kv.key.toString('utf8'),
  value: deleted ? null : kv.value.toString('utf8'),
  revision: BigInt(kv.mod_revision),
});

export class EtcdSession {
  private stopped = false;
  private wake: (() => void) | null = null;
  private current: Lease | null = null;
  private up = false;
  private loop: Promise<void> | null = null;
  private grace: NodeJS.Timeout | null = null;
  /**
   * Why the last session failed (etcd's or the TLS layer's message), for the log lines that say
   * the instance is cut off: "unreachable" and "refused" (a wrong password, no client
   * certificate) need different fixes.
   */
  lastError: string | null = null;

  constructor(
    private readonly client: Etcd3,
    private readonly prefix: string,
    private readonly ttl: number,
    private readonly sink: SessionSink,
    private readonly log: Logger,
  ) {}

  /** The lease of the running session, for puts that must vanish with this instance. */
  get lease(): Lease | null {
    return this.up ? this.current : null;
  }

  get connected(): boolean {
    return this.up;
  }

  start(): void {
    this.loop ??= this.run();
  }

  /** End the session and revoke the lease, so this instance stops voting at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.loop;
  }

  /** `now`: no grace (the session has ended, the lease is gone). */
  private set(up: boolean, now = false): void {
    if (up || now) {
      if (this.grace) clearTimeout(this.grace);
      this.grace = null;
    }
    if (up === this.up) return;
    if (!up && !now) {
      this.grace ??= setTimeout(() => {
        this.grace = null;
        this.set(false, true);
      }, GRACE_MS);
      return;
    }
    this.up = up;
    if (up) this.lastError = null;
    this.sink.connection(up);
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      try {
        await this.session();
      } catch (err) {
        this.lastError = err instanceof Error ? err.message : String(err);
        this.log.debug({ err }, 'fleet: etcd session failed');
      }
      this.set(false, true);
      if (this.stopped) break;
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        setTimeout(resolve, RETRY_MS).unref();
      });
      this.wake = null;
    }
  }

  private async session(): Promise<void> {
    const lease = this.client.lease(this.ttl);
    this.current = lease;
    let watcher: Watcher | null = null;
    // Ends the session: the lease is gone, or the server is stopping.
    const ended = new Promise<void>((resolve) => {
      lease.on('lost', (err) => {
        this.log.debug({ err }, 'fleet: lease lost');
        resolve();
      });
      this.wake = resolve;
    });
    lease.on('keepaliveFailed', () => this.set(false));
    lease.on('keepaliveSucceeded', () => {
      if (watcher) this.set(true);
    });
    try {
      await lease.grant();
      await this.sink.publish(lease);
      const res = await this.client.getAll().prefix(this.prefix).exec();
      const revision = BigInt(res.header.revision);
      this.sink.snapshot(
        res.kvs.map((kv) => toChange(kv, false)),
        revision,
      );
      watcher = await this.client
        .watch()
        .prefix(this.prefix)
        .startRevision(String(revision + 1n))
        .create();
      watcher.on('data', (r) =>
        this.sink.changes(r.events.map((e) => toChange(e.kv, e.type === 'Delete'))),
      );
      watcher.on('disconnected', () => this.set(false));
      watcher.on('connected', () => {
        if (!lease.revoked()) this.set(true);
      });
      if (!this.stopped) this.set(true);
      await ended;
    } finally {
      this.up = false;
      await watcher?.cancel().catch(() => {});
      if (this.stopped) await lease.revoke().catch(() => {});
      else lease.release();
      this.current = null;
    }
  }
}
