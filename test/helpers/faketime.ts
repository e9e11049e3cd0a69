// Move a real program's clock with a test's injected clock: libfaketime (Debian's `faketime`
// package, which brings libfaketime) preloaded into the program reads the offset from a file on
// every time call (FAKETIME_TIMESTAMP_FILE with FAKETIME_NO_CACHE), so the test changes the file
// and the program's time() and gettimeofday() jump with it. Used for Unbound in
// test/dnssec-rollover-unbound.test.ts: its cache then expires RRsets by their TTLs on the
// test's clock, as it would over hours of real time.
//
// Monotonic clocks are left alone (DONT_FAKE_MONOTONIC) so the program's own timers (query
// timeouts) keep real time.
import { existsSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';

/** The package to install for it. */
export const FAKETIME_PACKAGE = 'faketime';

/** libfaketime's path; LIBFAKETIME overrides. */
export function libfaketime(): string {
  const found = [
    process.env.LIBFAKETIME,
    '/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1',
    '/usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1',
  ].find((f) => f && existsSync(f));
  if (!found)
    throw new Error(
      `libfaketime not found: install it (Debian/Ubuntu: apt-get install ${FAKETIME_PACKAGE}) or set LIBFAKETIME`,
    );
  return found;
}

/** Set the clock offset in `file` (seconds ahead of the real clock), atomically. */
export async function setClockOffset(file: string, seconds: number): Promise<void> {
  await writeFile(`${file}.new`, `${seconds >= 0 ? '+' : ''}${Math.round(seconds)}\n`);
  await rename(`${file}.new`, file);
}

/** The environment that runs a program on the clock in `file` (offset 0 until set). */
export async function fakeClockEnv(file: string): Promise<Record<string, string>> {
  if (!existsSync(file)) await setClockOffset(file, 0);
  return {
    LD_PRELOAD: libfaketime(),
    FAKETIME_TIMESTAMP_FILE: file,
    FAKETIME_NO_CACHE: '1',
    DONT_FAKE_MONOTONIC: '1',
  };
}
