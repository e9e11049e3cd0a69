// The compile process (compile-off-thread.ts forks one per changed zone file): compiles the text
// and makes the zone's image, sends them, and exits. Its memory (the YAML tree and the compile's
// garbage: about 650 MiB of RSS for a 100,000-record file) goes back to the system with it, which
// a worker thread's does not: measured, a worker that compiled the file left the server's RSS
// 650 MiB higher after it exited. At nice +10 it yields the cores to the answer threads.
import { setPriority } from 'node:os';
import { compileText } from './compile-text.js';
import { encodeImage } from './image.js';
import type { DnssecDefaults } from '../dnssec/config.js';
import type { ZoneLimits } from './limits.js';
import { shareOf } from './share.js';

interface Job {
  file: string;
  text: string;
  limits: ZoneLimits;
  dnssecDefaults: DnssecDefaults | null;
}

try {
  setPriority(10);
} catch {
  // Not allowed here (a seccomp profile): compile at the usual priority.
}
process.once('message', (m: Job) => {
  const r = compileText(m.file, m.text, m.limits, m.dnssecDefaults);
  // The image travels as plain octets (a SharedArrayBuffer cannot cross processes); the server
  // copies them once into shared memory for its threads. The rest of the share (steered nodes,
  // sites: plain data) goes by the channel's structured clone ('advanced' serialization), which
  // keeps a record's members the same objects as the zone's sites.
  const share = r.zone ? shareOf(r.zone, encodeImage(r.zone.nodes)) : null;
  const image = share ? new Uint8Array(share.image).slice() : null;
  process.send!(
    {
      problems: r.problems,
      origin: r.origin,
      share: share ? { ...share, image: null } : null,
      image,
    },
    () => process.disconnect(),
  );
});
