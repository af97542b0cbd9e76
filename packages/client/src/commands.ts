/**
 * Commands waiting for their COMMAND_RESULT: a promise per sequence number, a timeout, and
 * re-sends. Kept apart from the room because a command outlives a connection: after a resume
 * the same frames go out again, and the server answers a sequence number it has already seen
 * from its result cache, so nothing is applied twice.
 */
import { ErrorCode, TickwireError, type Clock, type TimerHandle } from '@tickwire/protocol';

interface Pending {
  resolve: () => void;
  reject: (err: TickwireError) => void;
  timer: TimerHandle;
  frame: Uint8Array;
  sentAt: number;
}

export class PendingCommands {
  private readonly pending = new Map<number, Pending>();
  private retryTimer: TimerHandle | null = null;
  private paused = false;

  constructor(
    private readonly clock: Clock,
    private readonly send: (frame: Uint8Array) => void,
    /** Re-send a command still unanswered after this long (ms). */
    private readonly retryEvery: () => number,
    private readonly timeoutMs: number,
  ) {}

  get size(): number {
    return this.pending.size;
  }

  /** Sends a command frame; the promise settles with its result, or TIMEOUT. */
  add(seq: number, frame: Uint8Array, label: string): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const timer = this.clock.setTimeout(() => {
        this.pending.delete(seq);
        reject(new TickwireError(ErrorCode.TIMEOUT, `no result for ${label} within ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      this.pending.set(seq, { resolve, reject, timer, frame, sentAt: this.clock.now() });
      this.send(frame);
      this.scheduleRetry();
    });
  }

  /** Settles the command with this sequence number (a repeated or unknown result is ignored). */
  settle(seq: number, ok: boolean, code: number, message: string): void {
    const p = this.pending.get(seq);
    if (!p) return;
    this.pending.delete(seq);
    this.clock.clearTimeout(p.timer);
    if (ok) p.resolve();
    else p.reject(new TickwireError(code as ErrorCode, message));
  }

  /** No re-sends while there is no connection to send on; timeouts keep running. */
  pause(): void {
    this.paused = true;
    if (this.retryTimer) this.clock.clearTimeout(this.retryTimer);
    this.retryTimer = null;
  }

  /** Sends every waiting command again at once (on a resumed connection) and resumes re-sends. */
  resume(): void {
    this.paused = false;
    const now = this.clock.now();
    for (const p of this.pending.values()) {
      p.sentAt = now;
      this.send(p.frame);
    }
    this.scheduleRetry();
  }

  /** Rejects every waiting command with `error`. */
  rejectAll(error: TickwireError): void {
    this.pause();
    for (const p of this.pending.values()) {
      this.clock.clearTimeout(p.timer);
      p.reject(error);
    }
    this.pending.clear();
  }

  /**
   * Re-sends commands still waiting for a result. Over a WebSocket nothing is lost, but over a
   * lossy link (the conditioner, or a future datagram transport) a command or its result can
   * be; the server answers a repeated seq with the result it already gave.
   */
  private scheduleRetry(): void {
    if (this.paused || this.retryTimer || this.pending.size === 0) return;
    const every = this.retryEvery();
    this.retryTimer = this.clock.setTimeout(() => {
      this.retryTimer = null;
      const now = this.clock.now();
      for (const c of this.pending.values()) {
        if (now - c.sentAt < every) continue;
        c.sentAt = now;
        this.send(c.frame);
      }
      this.scheduleRetry();
    }, every);
  }
}
