// Compile a zone file in a process of its own (compile-process.ts), for the server: no thread
// that answers ever parses YAML or compiles, and the compile's peak memory (several times the
// zone's compiled size) is the system's again when the process exits. The zone comes back as a
// share (share.ts: an image, and its steered nodes as data), the form every thread reads.
//
// The image (8.7 MB for 100,000 records) comes back on a pipe of its own, as raw octets copied
// into shared memory chunk by chunk as they arrive, in the event loop's turns, not on the IPC
// channel: Node's 'advanced' channel joins a message's chunks into one Buffer again at every read
// (Buffer.concat), and copying 8.7 MB into fresh memory at once costs about 35 ms here (the first
// touch of every page); together they held the main thread for 100 ms and more (a CPU profile of
// a reload under load), a stall of every answer when the main thread answers.
import { fork } from 'node:child_process';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { Problem } from '../base/errors.js';
import type { DnssecDefaults } from '../dnssec/config.js';
import type { CompileResult } from './compile-text.js';
import type { ZoneLimits } from './limits.js';
import { type ZoneShare, zoneFromShare } from './share.js';

/** What the compile process sends on its channel; the image's octets come on fd 4. */
export interface Compiled {
  problems: Problem[];
  origin: { line: number; col: number };
  share: Omit<ZoneShare, 'image'> | null;
}

/** The child's fd for the image's octets (0-2: stdio, 3: the IPC channel). */
export const IMAGE_FD = 4;
/** The pipe starts with the image's length, 4 octets big-endian (0: no image), then its octets. */
export const IMAGE_HEADER = 4;

export function compileOffThread(
  file: string,
  text: string,
  limits: ZoneLimits,
  dnssecDefaults: DnssecDefaults | null = null,
): Promise<CompileResult> {
  // From source (vitest, tsx) the entry is TypeScript: the child loads tsx first.
  const self = import.meta.url;
  const ts = self.endsWith('.ts');
  const entry = fileURLToPath(new URL(`./compile-process.${ts ? 'ts' : 'js'}`, self));
  const child = fork(entry, [], {
    execArgv: ts ? ['--import', 'tsx'] : [],
    serialization: 'advanced',
    stdio: ['pipe', 'inherit', 'inherit', 'ipc', 'pipe'],
  });
  const octets = child.stdio[IMAGE_FD] as Readable;
  return new Promise((resolve, reject) => {
    let done = false;
    let message: Compiled | null = null;
    const image = new ImageReceiver();
    // Both halves are in: the channel's message and every octet of the image.
    const finish = () => {
      if (done || !message || !octets.readableEnded) return;
      done = true;
      try {
        const sab = image.take();
        const zone = message.share && sab ? zoneFromShare({ ...message.share, image: sab }) : null;
        resolve({ zone, problems: message.problems, origin: message.origin });
      } catch (err) {
        reject(err as Error);
      }
    };
    octets.on('data', (c: Buffer) => image.add(c));
    octets.once('end', finish);
    child.once('message', (msg) => {
      message = msg as Compiled;
      finish();
    });
    child.once('error', (err) => {
      done = true;
      reject(err);
    });
    // 'close': the process has exited and its pipes are drained, so nothing more can come.
    child.once('close', (code, signal) => {
      if (done) return;
      done = true;
      reject(new Error(`the compile process for ${file} exited (${signal ?? code})`));
    });
    // The text goes on the child's stdin as octets, written in the loop's turns: the channel
    // would serialise 3 MB of string in one go (23 ms measured).
    child.stdin!.on('error', () => {}); // a child that died early: 'close' above says so
    child.stdin!.end(Buffer.from(text, 'utf8'));
    child.send({ file, limits, dnssecDefaults });
  });
}

/** The image's octets as the pipe brings them, copied into shared memory as they arrive. */
class ImageReceiver {
  private header = Buffer.alloc(IMAGE_HEADER);
  private got = 0;
  private view: Uint8Array | null = null;
  private sab: SharedArrayBuffer | null = null;

  add(c: Buffer): void {
    let from = 0;
    while (this.got < IMAGE_HEADER && from < c.length) this.header[this.got++] = c[from++]!;
    if (this.got < IMAGE_HEADER) return;
    if (!this.view) {
      this.sab = new SharedArrayBuffer(this.header.readUInt32BE(0));
      this.view = new Uint8Array(this.sab);
    }
    const at = this.got - IMAGE_HEADER;
    const part = c.subarray(from, from + Math.max(0, this.view.length - at));
    this.view.set(part, at);
    this.got += part.length;
  }

  /** The image, once every octet the header promised came; null: no image, or cut short. */
  take(): SharedArrayBuffer | null {
    const whole = this.view !== null && this.got === IMAGE_HEADER + this.view.length;
    return whole && this.view!.length > 0 ? this.sab : null;
  }
}
