/**
 * A client's membership of a room: who it is, what it controls, what it has sent and not yet been
 * applied, and what the room has queued for it. The membership outlives a dropped connection for the
 * reconnect window, which is what lets a resume token put a player back where they were.
 */
import type { ClientMessage, CommandInfo, GameProtocol, QueuedEvent, TimerHandle } from '@tickwire/protocol';
import type { Entity } from './entity-store.js';
import type { Player } from './game-api.js';
import { InputQueue } from './input-queue.js';
import { defaultLimits } from './limits.js';
import { ClientView } from './replicator.js';

/** The part of a connection a room needs. */
export interface ClientConnection {
  /** `queued`: its `bufferedAmount`, when the caller has just read it and sent nothing since. */
  send(frame: Uint8Array, queued?: number): void;
  readonly bufferedAmount: number;
  close(code: number, reason: string): void;
  /** Drops a client that is not reading, at once (TOO_SLOW). */
  tooSlow(message: string): void;
  /** Frames to this client may be lost or reordered (its transport says so). */
  readonly lossy: boolean;
}

export interface PendingCommand {
  seq: number;
  time: number;
  entity: number;
  command: CommandInfo;
  payload: Record<string, unknown>;
}

export type CommandMessage = Extract<ClientMessage, { kind: 'command' }>;

/** Who a client is, as established by authentication (anonymous in development). */
export interface Identity {
  /** Stable user id (the JWT subject, or a random id for anonymous clients). */
  userId: string;
  /** Claims from the token, if any. */
  claims?: Record<string, unknown>;
  /**
   * A guest for one membership (anonymous mode, joined with no token): it has no token to prove who it
   * is again, so its resume token alone brings it back, and only as that guest.
   */
  guest?: boolean;
}

/**
 * The runtime's side of a member. Game code sees it as a {@link Player}; everything else here
 * (queues, the snapshot view, the connection) is the room's to keep consistent.
 */
export class RoomClient<P extends GameProtocol = GameProtocol, D = unknown> implements Player<P, D> {
  /** The entity this client plays, if onJoin returned one. */
  entity: Entity<P> | undefined;
  /** Ids of entities this client may target with commands. */
  readonly controls = new Set<number>();
  /** The game's per-player data: the room sets it from the definition's `data()` when admitting. */
  data!: D;
  connection: ClientConnection | null;
  readonly view: ClientView;
  /** Inputs waiting for a tick, in storage the connection decodes INPUT frames into. */
  readonly inputs: InputQueue<this>;
  readonly pendingCommands: PendingCommand[] = [];
  pendingEvents: QueuedEvent[] = [];
  /** Highest input seq applied (reported back in snapshots). */
  lastInputSeq = 0;
  disconnectedAt = 0;
  /** When this client's snapshots started being skipped for backpressure (0 = not now). */
  stalledSince = 0;
  /** When this client was last told an input was refused (notices go out at most once a second). */
  lastInputNotice = -Infinity;
  releaseTimer: TimerHandle | null = null;
  readonly joinedAt: number;
  /** The network address of the client's current (or last) connection. */
  remoteAddress = '';
  /** Whether the client ever acknowledged a snapshot: a member that never did is not kept for a reconnect. */
  everAcked = false;
  /** The address whose allowance of waiting members this one counts against, while it waits. */
  heldBy: string | null = null;

  constructor(
    readonly id: number,
    public name: string,
    readonly identity: Identity,
    readonly resumeToken: Uint8Array,
    connection: ClientConnection,
    historySize: number,
    now: number,
    /** Most inputs that may wait for a tick (the server's `maxBufferedInputs`). */
    maxBufferedInputs = defaultLimits.maxBufferedInputs,
  ) {
    this.inputs = new InputQueue<this>(this, maxBufferedInputs);
    this.connection = connection;
    this.view = new ClientView(historySize);
    this.joinedAt = now;
  }

  get connected(): boolean {
    return this.connection !== null;
  }

  /** Lets this client target an entity with commands. */
  control(entity: { readonly id: number }): void {
    this.controls.add(entity.id);
  }

  release(entity: { readonly id: number }): void {
    this.controls.delete(entity.id);
  }

  send(frame: Uint8Array): void {
    this.connection?.send(frame);
  }

  /**
   * Commands by seq: null while being handled, then the result frame sent for it. A repeated
   * command (a client retrying over a lossy link) gets the same result, never a second run.
   */
  private readonly commandResults = new Map<number, Uint8Array | null>();

  /** Whether a command seq is new; if not, re-sends its result when there is one. */
  firstTimeCommand(seq: number): boolean {
    if (!this.commandResults.has(seq)) {
      this.commandResults.set(seq, null);
      if (this.commandResults.size > 128) this.commandResults.delete(this.commandResults.keys().next().value!);
      return true;
    }
    const result = this.commandResults.get(seq);
    if (result) this.send(result);
    return false;
  }

  /**
   * Drops the commands still waiting for a tick (the connection dropped) and forgets their
   * seqs, so the same commands re-sent after a resume run, instead of waiting for a result that
   * will never come.
   */
  dropPendingCommands(): void {
    for (const c of this.pendingCommands) {
      if (this.commandResults.get(c.seq) === null) this.commandResults.delete(c.seq);
    }
    this.pendingCommands.length = 0;
  }

  /** Sends a command's result and keeps it for repeats. */
  sendResult(seq: number, frame: Uint8Array): void {
    if (this.commandResults.has(seq)) this.commandResults.set(seq, frame);
    this.send(frame);
  }
}
