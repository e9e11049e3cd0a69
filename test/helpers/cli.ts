// Run the real CLI (`node --import tsx src/cli.ts ...`) as a child process and read its pino JSON
// log lines from stdout. Every child is stopped by its PID; nothing here signals anything else.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** A port free for both TCP and UDP on 127.0.0.1 right now (the server binds both on it). */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const srv = createServer();
    const port = await new Promise<number>((resolve) =>
      srv.listen(0, '127.0.0.1', () => resolve((srv.address() as { port: number }).port)),
    );
    const udp = createSocket('udp4');
    const ok = await new Promise<boolean>((resolve) => {
      udp.once('error', () => resolve(false));
      udp.bind(port, '127.0.0.1', () => resolve(true));
    });
    await new Promise<void>((r) => udp.close(() => r()));
    await new Promise<void>((r) => srv.close(() => r()));
    if (ok) return port;
  }
  throw new Error('no free port for TCP and UDP');
}

export type LogLine = Record<string, unknown> & { msg?: string; level?: number };

export interface Cli {
  child: ChildProcess;
  /** Every JSON log line printed so far. */
  lines: LogLine[];
  /** Non-JSON output (stderr and any stray stdout), for failure messages. */
  other: string[];
  /** First line (seen or to come) matching `pred`; rejects after `timeoutMs` or if the process exits first. */
  waitFor(pred: (l: LogLine) => boolean, timeoutMs?: number, from?: number): Promise<LogLine>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM by PID, then SIGKILL after a grace period. */
  stop(): Promise<void>;
}

/**
 * From source through tsx; `built`: dist/src/cli.js, as users run it (the caller builds it).
 * `wrap`: a command that runs it and execs it in the end (so the PID is the server's), e.g. one
 * that pins it to some CPUs.
 */
export function runCli(args: string[], o: { built?: boolean; wrap?: string[] } = {}): Cli {
  const entry = o.built ? ['dist/src/cli.js'] : ['--import', 'tsx', 'src/cli.ts'];
  const [cmd, ...argv] = [...(o.wrap ?? []), process.execPath, ...entry, ...args];
  const child = spawn(cmd!, argv, {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: LogLine[] = [];
  const other: string[] = [];
  const listeners = new Set<() => void>();
  let rest = '';
  child.stdout!.on('data', (d: Buffer) => {
    rest += d.toString();
    const parts = rest.split('\n');
    rest = parts.pop()!;
    for (const p of parts) {
      if (!p) continue;
      try {
        lines.push(JSON.parse(p) as LogLine);
      } catch {
        other.push(p);
      }
    }
    for (const l of listeners) l();
  });
  child.stderr!.on('data', (d: Buffer) => other.push(d.toString()));
  let done = false;
  // 'close', not 'exit': it comes after the child's stdout has been read to the end.
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('close', (code, signal) => {
      done = true;
      for (const l of listeners) l();
      resolve({ code, signal });
    }),
  );
  const waitFor = (pred: (l: LogLine) => boolean, timeoutMs = 15_000, from = 0) =>
    new Promise<LogLine>((resolve, reject) => {
      const check = () => {
        const hit = lines.slice(from).find(pred);
        if (hit) finish(() => resolve(hit));
        else if (done)
          finish(() =>
            reject(new Error(`process exited before the expected log line; output:\n${dump()}`)),
          );
      };
      const timer = setTimeout(
        () =>
          finish(() =>
            reject(new Error(`no matching log line within ${timeoutMs} ms; output:\n${dump()}`)),
          ),
        timeoutMs,
      );
      const finish = (f: () => void) => {
        clearTimeout(timer);
        listeners.delete(check);
        f();
      };
      listeners.add(check);
      check();
    });
  const dump = () => [...lines.map((l) => JSON.stringify(l)), ...other].join('\n');
  const stop = async () => {
    if (done || child.pid === undefined) return;
    process.kill(child.pid, 'SIGTERM');
    const killer = setTimeout(() => {
      if (!done && child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
    }, 3000);
    await exited;
    clearTimeout(killer);
  };
  return { child, lines, other, waitFor, exited, stop };
}

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run a CLI command that ends by itself (check, export, explain) and collect its output. */
export function runCliToEnd(...args: string[]): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'src/cli.ts', ...args],
      { cwd: ROOT, timeout: 30_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}
