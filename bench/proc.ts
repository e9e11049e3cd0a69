// Child processes of the bench, each stopped by its own PID (and its children's), never by name.
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';

/** Keep the tail of a child's output for error messages; a server under load must not fill memory. */
const OUTPUT_LIMIT = 64 * 1024;

export class Proc {
  /** Resolves with the exit code (null when killed by a signal, -1 when it could not start). */
  readonly exited: Promise<number | null>;
  private done = false;
  private out = '';

  private constructor(
    readonly name: string,
    private readonly child: ChildProcess,
  ) {
    const keep = (chunk: Buffer) => {
      this.out = (this.out + chunk.toString()).slice(-OUTPUT_LIMIT);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    this.exited = new Promise((resolve) => {
      child.once('error', (err) => {
        this.out += `\n${err.message}`;
        this.done = true;
        resolve(-1);
      });
      child.once('close', (code) => {
        this.done = true;
        resolve(code);
      });
    });
  }

  static spawn(name: string, command: string, args: string[]): Proc {
    return new Proc(name, spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] }));
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get running(): boolean {
    return !this.done;
  }

  output(): string {
    return this.out;
  }

  /** SIGTERM the process and its children, SIGKILL whatever is left after `graceMs`. */
  async stop(graceMs = 5000): Promise<void> {
    if (this.done || this.pid < 0) return;
    const children = childrenOf(this.pid);
    signal(this.pid, 'SIGTERM');
    if (!(await waitFor(() => this.done, graceMs))) signal(this.pid, 'SIGKILL');
    await this.exited;
    // A child that dies takes its own children with it; this is the backstop, for the same PIDs
    // only while they still run the same command.
    for (const c of children) {
      const gone = () => cmdline(c.pid) !== c.cmdline;
      if (await waitFor(gone, 2000)) continue;
      signal(c.pid, 'SIGTERM');
      if (await waitFor(gone, graceMs)) continue;
      signal(c.pid, 'SIGKILL');
    }
  }
}

async function waitFor(test: () => boolean, ms: number): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end;) {
    if (test()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return test();
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    /* already gone */
  }
}

function cmdline(pid: number): string | null {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return null;
  }
}

/** Direct children of `pid` (Linux /proc), with their command lines. */
function childrenOf(pid: number): { pid: number; cmdline: string }[] {
  const out: { pid: number; cmdline: string }[] = [];
  try {
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      const list = readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim();
      for (const c of list ? list.split(/\s+/).map(Number) : []) {
        const line = cmdline(c);
        if (line !== null) out.push({ pid: c, cmdline: line });
      }
    }
  } catch {
    /* not Linux, or already gone */
  }
  return out;
}
