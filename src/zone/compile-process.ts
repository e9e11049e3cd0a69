// The compile process (compile-off-thread.ts forks one per changed zone file): compiles the text
// and makes the zone's image, sends them, and exits. Its memory (the YAML tree and the compile's
// garbage: about 650 MiB of RSS for a 100,000-record file) goes back to the system with it, which
// a worker thread's does not: measured, a worker that compiled the file left the server's RSS
// 650 MiB higher after it exited. At nice +10 it yields the cores to the answer threads.
import { createWriteStream } from 'node:fs';
import { setPriority } from 'node:os';
import { type Compiled, IMAGE_FD, IMAGE_HEADER } from './compile-off-thread.js';
import { compileText } from './compile-text.js';
import { encodeImage } from './image.js';
import type { DnssecDefaults } from '../dnssec/config.js';
import type { ZoneLimits } from './limits.js';
import { shareOf } from './share.js';

/** The job on the channel; the file's text comes on stdin (compile-off-thread.ts). */
interface Job {
  file: string;
  limits: ZoneLimits;
  dnssecDefaults: DnssecDefaults | null;
}

try {
  setPriority(10);
} catch {
  // Not allowed here (a seccomp profile): compile at the usual priority.
}
/** Everything on stdin, as text. */
async function stdinText(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

const text = stdinText();
process.once('message', async (m: Job) => {
  const r = compileText(m.file, await text, m.limits, m.dnssecDefaults);
  // The image travels as plain octets on a pipe of its own (a SharedArrayBuffer cannot cross
  // processes; compile-off-thread.ts says why not on the channel); the server copies them once
  // into shared memory for its threads. The rest of the share (steered nodes, sites: plain data)
  // goes by the channel's structured clone ('advanced' serialization), which keeps a record's
  // members the same objects as the zone's sites.
  const share = r.zone ? shareOf(r.zone, encodeImage(r.zone.nodes)) : null;
  const out = createWriteStream('', { fd: IMAGE_FD });
  const header = Buffer.alloc(IMAGE_HEADER);
  header.writeUInt32BE(share ? share.image.byteLength : 0, 0);
  out.write(header);
  out.end(share ? Buffer.from(share.image) : Buffer.alloc(0), () => {
    const { image: _octets, ...rest } = share ?? { image: null };
    const msg: Compiled = {
      problems: r.problems,
      origin: r.origin,
      share: share ? (rest as Compiled['share']) : null,
    };
    process.send!(msg, () => process.disconnect());
  });
});
