/**
 * Where sessions are kept: the interface the storage package implements (SQLite and PostgreSQL,
 * tables `tickwire_sessions` and `tickwire_session_results`), and the writer that saves a
 * session's record off the game loop.
 *
 * A session changes in bursts (a lobby filling up, everyone marking ready), so the writer keeps
 * at most one save in flight and one waiting: the waiting one is always the newest state, and
 * nothing piles up. Results are written apart, each round once.
 */
import type { Logger } from 'pino';

/** A member as stored: who it is and where it sits. */
export interface StoredSessionMember {
  userId: string;
  name: string;
  /** Its seat's group and role index, or null when unseated. */
  group: number | null;
  role: number | null;
  ready: boolean;
}

/** A session's metadata, state and roster, as stored. Options are the game's values (JSON). */
export interface StoredSession {
  id: string;
  /** The room type it was created as. */
  type: string;
  name: string;
  state: string;
  round: number;
  creator: string | null;
  /** The salted scrypt hash of its password (never the password), null when it has none. */
  passwordHash: string | null;
  options: unknown;
  groups: string[];
  members: StoredSessionMember[];
  /** Users who joined with the password (they may come back without it). */
  admitted: string[];
  /** Epoch ms. */
  createdAt: number;
  updatedAt: number;
}

/** One round's results, as stored. */
export interface StoredSessionResults {
  sessionId: string;
  round: number;
  /** The results as the members saw them (session, groups, members), JSON. */
  results: unknown;
  /** Epoch ms. */
  endedAt: number;
}

/** What the storage layer provides for sessions (`storage.sessions` from @tickwire/storage). */
export interface SessionStore {
  /** Creates or replaces a session's record. */
  saveSession(session: StoredSession): Promise<void>;
  loadSession(id: string): Promise<StoredSession | undefined>;
  /** Stored sessions, newest first; with `states`, only those in one of them. */
  listSessions(filter?: { states?: readonly string[]; limit?: number }): Promise<StoredSession[]>;
  /** Stores a round's results; a round stored before is replaced. */
  saveResults(results: StoredSessionResults): Promise<void>;
  /** A session's results, by round. */
  loadResults(sessionId: string): Promise<StoredSessionResults[]>;
}

/**
 * Saves one session off the loop: one write in flight, the newest record waiting behind it, and
 * a round's results after the record they belong to (the store refuses results of a session it
 * does not hold).
 */
export class SessionWriter {
  private inFlight: Promise<void> | null = null;
  private waiting: (() => StoredSession) | null = null;
  private readonly rounds: StoredSessionResults[] = [];

  constructor(
    private readonly store: SessionStore,
    private readonly logger: Logger,
  ) {}

  /** Saves what `record()` returns when the save runs (so a burst of changes is one write). */
  save(record: () => StoredSession): void {
    this.waiting = record;
    this.inFlight ??= this.drain();
  }

  /** Stores a round's results, after any record waiting to be saved. */
  results(results: StoredSessionResults): void {
    this.rounds.push(results);
    this.inFlight ??= this.drain();
  }

  /** Resolves once everything asked for so far is written (or failed and was logged). */
  async flush(): Promise<void> {
    while (this.inFlight) await this.inFlight;
  }

  private async drain(): Promise<void> {
    while (this.waiting || this.rounds.length > 0) {
      const next = this.waiting;
      this.waiting = null;
      const round = next ? undefined : this.rounds.shift();
      let id: string | undefined;
      try {
        if (next) {
          const record = next();
          id = record.id;
          await this.store.saveSession(record);
        } else if (round) {
          id = round.sessionId;
          await this.store.saveResults(round);
        }
      } catch (err) {
        this.logger.error({ err, session: id }, next ? 'could not store the session' : 'could not store the session results');
      }
    }
    this.inFlight = null;
  }
}
