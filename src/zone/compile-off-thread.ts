// Compile a zone file in a process of its own (compile-process.ts), for the server: no thread
// that answers ever parses YAML or compiles, and the compile's peak memory (several times the
// zone's compiled size) is the system's again when the process exits. The zone comes back as a
// share (share.ts: an image, and its steered nodes as data), the form every thread reads.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Problem } from '../base/errors.js';
import type { DnssecDefaults } from '../dnssec/config.js';
import type { CompileResult } from './compile-text.js';
import type { ZoneLimits } from './limits.js';
import { type ZoneShare, zoneFromShare } from './share.js';

interface Compiled {
  problems: Problem[];
  origin: { line: number; col: number };
  share: Omit<ZoneShare, 'image'> | null;
  image: Uint8Array | null;
}

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
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    let done = false;
    child.once('message', (msg) => {
      done = true;
      const m = msg as Compiled;
      try {
        let zone = null;
        if (m.share && m.image) {
          const image = new SharedArrayBuffer(m.image.byteLength);
          new Uint8Array(image).set(m.image);
          zone = zoneFromShare({ ...m.share, image });
        }
        resolve({ zone, problems: m.problems, origin: m.origin });
      } catch (err) {
        reject(err as Error);
      }
    });
    child.once('error', (err) => {
      done = true;
      reject(err);
    });
    child.once('exit', (code, signal) => {
      if (!done) reject(new Error(`the compile process for ${file} exited (${signal ?? code})`));
    });
    child.send({ file, text, limits, dnssecDefaults });
  });
}
