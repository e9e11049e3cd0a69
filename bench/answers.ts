// Before a scenario's load, ask its queries once and say what came back: the mix of answers and
// the ECS scopes. A steering scenario whose answers never depend on the client would measure
// nothing but static answers, so that is an error. Replies are decoded with dns-packet, not with
// geosteer's own wire code.
import { createSocket } from 'node:dgram';
import dnsPacket from 'dns-packet';

export interface AnswerMix {
  queries: number;
  /** Answer RRset (addresses sorted, joined by spaces, or the rcode) -> how many replies had it. */
  answers: Map<string, number>;
  /** Lowest and highest ECS SCOPE PREFIX-LENGTH echoed; null when no reply had ECS. */
  scope: { min: number; max: number } | null;
  unanswered: number;
}

/** At most this many queries in flight, well within any socket buffer. */
const WINDOW = 64;
/** A network seen for the first time can take milliseconds (GeoIP lookups), more on a busy machine. */
const TIMEOUT_MS = 3000;
const ATTEMPTS = 3;

/**
 * Send each message once (cycling until at least `atLeast`), over UDP to 127.0.0.1:`port`; a
 * query unanswered after TIMEOUT_MS is sent again, up to ATTEMPTS times in all.
 */
export async function askAll(
  port: number,
  messages: Uint8Array[],
  atLeast = 0,
): Promise<AnswerMix> {
  const total = Math.max(messages.length, atLeast);
  const mix: AnswerMix = { queries: total, answers: new Map(), scope: null, unanswered: 0 };
  const sock = createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
  const pending = new Map<number, { timer: NodeJS.Timeout; msg: Buffer; tries: number }>();
  let next = 0;
  let done = 0;
  try {
    await new Promise<void>((resolve) => {
      const finish = (id: number) => {
        clearTimeout(pending.get(id)?.timer);
        pending.delete(id);
        if (++done === total) resolve();
        else send();
      };
      const transmit = (id: number, msg: Buffer, tries: number) => {
        const timer = setTimeout(() => {
          if (tries < ATTEMPTS) transmit(id, msg, tries + 1);
          else {
            mix.unanswered++;
            finish(id);
          }
        }, TIMEOUT_MS);
        pending.set(id, { timer, msg, tries });
        sock.send(msg, port, '127.0.0.1');
      };
      const send = () => {
        while (next < total && pending.size < WINDOW) {
          // Sequential IDs below 2^16 (at most WINDOW in flight), so a reply finds its query.
          const id = next & 0xffff;
          const msg = Buffer.from(messages[next % messages.length]!);
          msg.writeUInt16BE(id, 0);
          next++;
          transmit(id, msg, 1);
        }
      };
      sock.on('message', (reply) => {
        const id = reply.readUInt16BE(0);
        if (!pending.has(id)) return;
        record(mix, reply);
        finish(id);
      });
      send();
    });
  } finally {
    for (const p of pending.values()) clearTimeout(p.timer);
    sock.close();
  }
  return mix;
}

function record(mix: AnswerMix, reply: Buffer): void {
  const p = dnsPacket.decode(reply);
  const rcode = (p as { rcode?: string }).rcode ?? 'NOERROR';
  const addrs = (p.answers ?? [])
    .filter((a) => a.type === 'A' || a.type === 'AAAA')
    .map((a) => String((a as { data: unknown }).data))
    .sort();
  const key = rcode !== 'NOERROR' ? rcode : addrs.length ? addrs.join(' ') : 'NODATA';
  mix.answers.set(key, (mix.answers.get(key) ?? 0) + 1);
  for (const rr of p.additionals ?? []) {
    if (rr.type !== 'OPT') continue;
    for (const o of (rr as { options?: { code: number; scopePrefixLength?: number }[] }).options ??
      []) {
      if (o.code !== 8 || o.scopePrefixLength === undefined) continue;
      const s = o.scopePrefixLength;
      mix.scope = mix.scope
        ? { min: Math.min(mix.scope.min, s), max: Math.max(mix.scope.max, s) }
        : { min: s, max: s };
    }
  }
}

/** "192.0.2.10 192.0.2.11 50%, 198.51.100.10 33%, 203.0.113.10 17%; ECS scope /8-/24". */
export function describeMix(mix: AnswerMix): string {
  const answered = mix.queries - mix.unanswered;
  const shares = [...mix.answers]
    .sort((a, b) => b[1] - a[1])
    .map(([k, n]) => `${k} ${Math.round((100 * n) / Math.max(1, answered))}%`);
  const scope = mix.scope
    ? `ECS scope /${mix.scope.min}${mix.scope.max !== mix.scope.min ? `-/${mix.scope.max}` : ''}`
    : 'no ECS';
  const lost = mix.unanswered ? `, ${mix.unanswered} unanswered` : '';
  return `${mix.queries.toLocaleString('en-US')} queries: ${shares.join(', ')}; ${scope}${lost}`;
}
