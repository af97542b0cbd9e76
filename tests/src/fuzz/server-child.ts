/**
 * Runs server-process.ts as a child and watches it: its address, whether it is still alive,
 * the errors it logged, and the last lines of its stderr (where Node prints the stack of an
 * uncaught exception) for a crash report.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { ServerProcessConfig } from './server-process.js';

const SCRIPT = fileURLToPath(new URL('./server-process.ts', import.meta.url));

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export class ServerChild {
  /** Error-level log lines by message, with one example of the error each carried. */
  readonly errorLogs = new Map<string, { count: number; example: string }>();
  /** The last stderr lines that were not error-level logs. */
  readonly stderrTail: string[] = [];
  private exitInfo: ExitInfo | undefined;
  private stopping = false;
  readonly exited: Promise<ExitInfo>;

  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
    readonly wsUrl: string,
    readonly port: number,
  ) {
    this.exited = new Promise((resolve) => {
      const done = (code: number | null, signal: NodeJS.Signals | null) => {
        this.exitInfo ??= { code, signal };
        resolve(this.exitInfo);
      };
      if (child.exitCode !== null || child.signalCode !== null) done(child.exitCode, child.signalCode);
      else child.once('exit', done);
    });
    createInterface({ input: child.stderr! }).on('line', (line) => this.onStderr(line));
  }

  static async start(config: ServerProcessConfig): Promise<ServerChild> {
    const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', SCRIPT, JSON.stringify(config)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const early: string[] = [];
    const onEarly = (d: Buffer) => early.push(d.toString());
    child.stderr!.on('data', onEarly);
    const first = await new Promise<string>((resolve, reject) => {
      const onExit = (code: number | null) => reject(new Error(`the fuzz server exited (${code}) before listening:\n${early.join('').slice(-4000)}`));
      child.once('exit', onExit);
      createInterface({ input: child.stdout! }).once('line', (line) => {
        child.off('exit', onExit);
        resolve(line);
      });
    });
    child.stderr!.off('data', onEarly);
    const addr = JSON.parse(first) as { url: string; wsUrl: string; port: number };
    const sc = new ServerChild(child, addr.url, addr.wsUrl, addr.port);
    for (const chunk of early) for (const line of chunk.split('\n')) if (line) sc.onStderr(line);
    return sc;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** True until the process exits. */
  get alive(): boolean {
    return this.exitInfo === undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** True when it exited without being asked to. */
  get crashed(): boolean {
    return !this.alive && !this.stopping;
  }

  /** Stops it with SIGTERM (graceful shutdown), SIGKILL after `graceMs`. */
  async stop(graceMs = 10_000): Promise<ExitInfo> {
    if (!this.alive) return this.exited;
    this.stopping = true;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    const info = await this.exited;
    clearTimeout(timer);
    return info;
  }

  private onStderr(line: string): void {
    if (line.startsWith('{')) {
      try {
        const entry = JSON.parse(line) as { level?: number; msg?: string; err?: { message?: string; stack?: string } };
        if ((entry.level ?? 0) >= 50) {
          const key = entry.msg ?? '(no message)';
          const seen = this.errorLogs.get(key);
          if (seen) seen.count++;
          else this.errorLogs.set(key, { count: 1, example: (entry.err?.stack ?? entry.err?.message ?? '').split('\n').slice(0, 4).join(' | ') });
          return;
        }
      } catch {
        // Not a log line after all: keep it in the tail.
      }
    }
    this.stderrTail.push(line.length > 2000 ? `${line.slice(0, 2000)}...` : line);
    if (this.stderrTail.length > 80) this.stderrTail.shift();
  }
}
