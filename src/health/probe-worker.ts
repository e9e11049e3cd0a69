// The probe thread (started by src/health/probe-thread.ts): a Prober over the sites the main
// thread sends, with no table of its own. Each result goes back, batched, to the main thread,
// which applies it to the health table. Schedules, sockets, TLS, HTTP parsing and timeouts all
// cost this thread's event loop, never the one answering queries.
import { readlinkSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { BATCH_MS, type FromThread, type ToThread } from './probe-thread.js';
import { Prober } from './prober.js';
import type { ProbeResult } from './types.js';

const port = parentPort!;

let results: { key: string; result: ProbeResult }[] = [];
let timer: NodeJS.Timeout | null = null;
function flush(): void {
  timer = null;
  const batch = results;
  results = [];
  port.postMessage([
    { op: 'results', results: batch, stats: prober!.stats() },
  ] satisfies FromThread[]);
}

let prober: Prober | null = null;

function proberWith(concurrency: number | undefined): Prober {
  prober ??= new Prober(
    // The table is the main thread's: nothing to register here, results travel by onResult.
    { sync: () => {}, record: () => {} },
    {
      ...(concurrency !== undefined ? { concurrency } : {}),
      onResult: (check, result) => {
        results.push({ key: check.key, result });
        timer ??= setTimeout(flush, BATCH_MS);
      },
    },
  );
  return prober;
}

port.on('message', (m: ToThread) => {
  if (m.op === 'sync') {
    proberWith(m.concurrency).syncTargets(m.sites);
    return;
  }
  void (prober?.stop() ?? Promise.resolve()).then(() => {
    if (timer) clearTimeout(timer);
    port.postMessage([{ op: 'stopped' }] satisfies FromThread[]);
  });
});

/** This thread's kernel task ID (Linux), so /status and /metrics can say what probing costs. */
function threadId(): number | null {
  try {
    return Number(readlinkSync('/proc/thread-self').split('/').pop()) || null;
  } catch {
    return null;
  }
}

port.postMessage([{ op: 'ready', tid: threadId() }] satisfies FromThread[]);
