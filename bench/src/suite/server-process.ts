/**
 * A server under test in its own process (tickwire-server.ts, colyseus-server.ts or
 * raw-server.ts, on ws or uWS), so its CPU and memory are read from /proc without the load generator in
 * them. Started with tsx and the workspace's source condition, like the other bench scripts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { cpuSeconds, rssBytes } from '../proc.js';
import { parseChildLine, type ServerStats } from './child-line.js';

export class ServerProcess {
  private readonly waiting = new Map<number, (s: ServerStats) => void>();
  private nextId = 1;
  private exited = false;
  private constructor(
    private readonly child: ChildProcess,
    readonly pid: number,
    readonly port: number,
    /** The last lines the server wrote on stderr (for error messages). */
    readonly stderrTail: string[],
  ) {}

  /** Starts `script` (a file URL) with `args`; resolves when it prints its port. */
  static start(script: URL, args: string[], options: { verbose?: boolean; timeoutMs?: number } = {}): Promise<ServerProcess> {
    const prof = process.env.TICKWIRE_SERVER_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.TICKWIRE_SERVER_PROF}`] : [];
    // Extra Node flags for the server processes only (e.g. --trace-gc, shown with --verbose),
    // separated by spaces (no quoting), after tsx so an --import may be TypeScript.
    const extra = process.env.TICKWIRE_SERVER_NODE_FLAGS?.split(/\s+/).filter((x) => x !== '') ?? [];
    const child = spawn(process.execPath, [...prof, '--conditions=source', '--import', 'tsx', ...extra, script.pathname, ...args], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const tail: string[] = [];
    child.stdin!.on('error', () => undefined); // a server that died is reported by 'exit'
    createInterface({ input: child.stderr! }).on('line', (line) => {
      if (options.verbose) process.stderr.write(`  [server] ${line}\n`);
      tail.push(line);
      if (tail.length > 20) tail.shift();
    });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`${script.pathname} did not start within ${options.timeoutMs ?? 30_000} ms\n${tail.join('\n')}`));
      }, options.timeoutMs ?? 30_000);
      let server: ServerProcess | undefined;
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        if (server) server.exited = true;
        else {
          // The error it died of first (a run's reason is the message's first line), then its output.
          const cause = [...tail].reverse().find((l) => /\bError\b/.test(l)) ?? tail.at(-1) ?? '';
          reject(new Error(`${script.pathname} exited (${code ?? signal}) before it was ready: ${cause.trim()}\n${tail.join('\n')}`));
        }
      });
      createInterface({ input: child.stdout! }).on('line', (line) => {
        const msg = parseChildLine(line);
        if (!msg) {
          if (options.verbose) process.stderr.write(`  [server] ${line}\n`);
          return;
        }
        if ('ready' in msg) {
          clearTimeout(timer);
          server = new ServerProcess(child, msg.pid, msg.port, tail);
          resolve(server);
        } else if (server) {
          server.waiting.get(msg.id)?.(msg.stats);
          server.waiting.delete(msg.id);
        }
      });
    });
  }

  get alive(): boolean {
    return !this.exited;
  }

  /** User + system CPU seconds so far, all threads. */
  cpuSeconds(): number {
    return cpuSeconds(this.pid);
  }

  rssBytes(): number {
    return rssBytes(this.pid);
  }

  /** The server's own counters (clients connected, inputs received; `detail`: costlier ones too). */
  stats(detail = false, timeoutMs = 10_000): Promise<ServerStats> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new Error('the server did not answer a stats request'));
      }, timeoutMs);
      this.waiting.set(id, (s) => {
        clearTimeout(timer);
        resolve(s);
      });
      this.child.stdin!.write(`stats ${id}${detail ? ' detail' : ''}\n`);
    });
  }

  /** SIGTERM, then SIGKILL if it lingers. */
  async stop(): Promise<void> {
    if (this.exited) return;
    const gone = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 3000);
    await gone;
    clearTimeout(timer);
  }
}
