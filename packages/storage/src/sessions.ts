/**
 * Sessions: each session's metadata, state and roster as one row (the server writes it whole
 * whenever it changes, newest wins), and each round's results. The shapes are those the server's
 * session store interface names (`SessionStore` in @tickwire/server); JSON travels as TEXT, and
 * is serialised before anything is written, so an unstorable value fails without a write.
 */
import type { StorageContext } from './context.js';
import { StorageError } from './errors.js';
import { fromJson, toJson } from './json.js';
import type { SessionsTable } from './schema.js';

/** A member as stored with its session. */
export interface SessionMemberRow {
  userId: string;
  name: string;
  group: number | null;
  role: number | null;
  ready: boolean;
}

/** A session's record. `options` must be JSON-serialisable. */
export interface SessionRecord {
  id: string;
  type: string;
  name: string;
  state: string;
  round: number;
  creator: string | null;
  /** The salted hash of its password (never the password), null without one. */
  passwordHash: string | null;
  options: unknown;
  groups: string[];
  members: SessionMemberRow[];
  admitted: string[];
  /** Epoch ms. */
  createdAt: number;
  updatedAt: number;
}

/** One round's results. `results` must be JSON-serialisable. */
export interface SessionResultsRecord {
  sessionId: string;
  round: number;
  results: unknown;
  /** Epoch ms. */
  endedAt: number;
}

/**
 * Where sessions are kept.
 *
 * @example
 * await storage.sessions.saveSession(record);
 * const open = await storage.sessions.listSessions({ states: ['lobby', 'running'] });
 */
export interface SessionStore {
  /** Creates or replaces a session's record. */
  saveSession(session: SessionRecord): Promise<void>;
  loadSession(id: string): Promise<SessionRecord | undefined>;
  /** Stored sessions, the most recently updated first; `states` keeps only those in one of them; `limit` caps the count (default 100). */
  listSessions(filter?: { states?: readonly string[]; limit?: number }): Promise<SessionRecord[]>;
  /** Stores one round's results; the same round stored again replaces them. Throws NOT_FOUND for an unknown session. */
  saveResults(results: SessionResultsRecord): Promise<void>;
  /** A session's results, by round. */
  loadResults(sessionId: string): Promise<SessionResultsRecord[]>;
}

function nonEmpty(value: unknown, what: string): string {
  if (typeof value !== 'string' || value === '') throw new StorageError('INVALID_ARGUMENT', `${what} must be a non-empty string, got ${JSON.stringify(value) ?? String(value)}`);
  return value;
}

function whole(value: unknown, what: string): number {
  if (!Number.isSafeInteger(value) || (value as number) < 0) throw new StorageError('INVALID_ARGUMENT', `${what} must be a whole number >= 0, got ${String(value)}`);
  return value as number;
}

function toRow(s: SessionRecord): SessionsTable {
  const id = nonEmpty(s.id, 'a session id');
  return {
    id,
    type: nonEmpty(s.type, `session ${id}'s type`),
    name: typeof s.name === 'string' ? s.name : '',
    state: nonEmpty(s.state, `session ${id}'s state`),
    round: whole(s.round, `session ${id}'s round`),
    creator: s.creator ?? null,
    password_hash: s.passwordHash ?? null,
    options: toJson(s.options ?? {}, `session ${id}'s options`),
    groups: toJson(s.groups, `session ${id}'s groups`),
    members: toJson(s.members, `session ${id}'s members`),
    admitted: toJson(s.admitted, `session ${id}'s admitted users`),
    created_at: whole(s.createdAt, `session ${id}'s createdAt`),
    updated_at: whole(s.updatedAt, `session ${id}'s updatedAt`),
  };
}

function fromRow(r: SessionsTable): SessionRecord {
  return {
    id: r.id,
    type: r.type,
    name: r.name,
    state: r.state,
    round: Number(r.round),
    creator: r.creator,
    passwordHash: r.password_hash,
    options: fromJson(r.options),
    groups: fromJson(r.groups) as string[],
    members: fromJson(r.members) as SessionMemberRow[],
    admitted: fromJson(r.admitted) as string[],
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
  };
}

const COLUMNS = ['id', 'type', 'name', 'state', 'round', 'creator', 'password_hash', 'options', 'groups', 'members', 'admitted', 'created_at', 'updated_at'] as const;

export function createSessionStore(ctx: StorageContext): SessionStore {
  return {
    async saveSession(session) {
      const row = toRow(session);
      // Everything but its id and when it was created follows the newest save.
      const { type, name, state, round, creator, password_hash, options, groups, members, admitted, updated_at } = row;
      await ctx.db
        .insertInto('sessions')
        .values(row)
        .onConflict((oc) => oc.column('id').doUpdateSet({ type, name, state, round, creator, password_hash, options, groups, members, admitted, updated_at }))
        .execute();
    },

    async loadSession(id) {
      const row = await ctx.db.selectFrom('sessions').select(COLUMNS).where('id', '=', id).executeTakeFirst();
      return row && fromRow(row);
    },

    async listSessions(filter = {}) {
      const limit = filter.limit ?? 100;
      if (!Number.isSafeInteger(limit) || limit < 1 || limit > 10_000) throw new StorageError('INVALID_ARGUMENT', `limit must be 1..10000, got ${limit}`);
      let query = ctx.db.selectFrom('sessions').select(COLUMNS);
      if (filter.states) {
        if (filter.states.length === 0) return [];
        query = query.where('state', 'in', [...filter.states]);
      }
      // Ties broken by id, the same on both databases.
      const rows = await query.orderBy('updated_at', 'desc').orderBy('id').limit(limit).execute();
      return rows.map(fromRow);
    },

    async saveResults(results) {
      const sessionId = nonEmpty(results.sessionId, 'a session id');
      const row = {
        session_id: sessionId,
        round: whole(results.round, `session ${sessionId}'s round`),
        results: toJson(results.results, `session ${sessionId}'s results`),
        ended_at: whole(results.endedAt, `session ${sessionId}'s endedAt`),
      };
      const known = await ctx.db.selectFrom('sessions').select('id').where('id', '=', sessionId).executeTakeFirst();
      if (!known) throw new StorageError('NOT_FOUND', `no session '${sessionId}' is stored: save the session before its results`);
      await ctx.db
        .insertInto('session_results')
        .values(row)
        .onConflict((oc) => oc.columns(['session_id', 'round']).doUpdateSet({ results: row.results, ended_at: row.ended_at }))
        .execute();
    },

    async loadResults(sessionId) {
      const rows = await ctx.db.selectFrom('session_results').select(['session_id', 'round', 'results', 'ended_at']).where('session_id', '=', sessionId).orderBy('round').execute();
      return rows.map((r) => ({ sessionId: r.session_id, round: Number(r.round), results: fromJson(r.results), endedAt: Number(r.ended_at) }));
    },
  };
}
