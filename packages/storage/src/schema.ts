/**
 * The Kysely `Database` type: every table and column the migrations create, as the query layer
 * sees them. JSON is stored as TEXT on both databases (portable, and the storage layer is the only
 * thing that parses it); timestamps are epoch milliseconds (BIGINT on PostgreSQL, read back as JS
 * numbers). Keep this file in step with migrations.ts: a column added there is added here.
 */
import type { Generated } from 'kysely';

/** Applied schema versions (one row per migration step). */
export interface MigrationsTable {
  version: number;
  name: string;
  applied_at: number;
}

/** One persisted room: its metadata and when it was last checkpointed. */
export interface RoomsTable {
  code: string;
  /** JSON text, or null when no metadata was ever stored. */
  meta: string | null;
  /** Epoch ms of the last checkpoint, null if none was written. */
  checkpoint_at: number | null;
  /**
   * The fencing epoch of the room's current owner (see ownership.ts): raised by every
   * acquireRoom, 0 until the first. Defaulted by the database, so inserts may leave it out.
   */
  owner_epoch: Generated<number>;
}

/** A durable entity of a room (anything that must survive a restart). */
export interface RoomEntitiesTable {
  room_code: string;
  key: string;
  type: string;
  /** JSON text. */
  data: string;
}

/** A player's checkpoint inside a room (position, presence, ...). */
export interface RoomPlayersTable {
  room_code: string;
  user_id: string;
  /** JSON text. */
  data: string;
}

/** Keys of committed critical transactions and their results, so a retry is a replay. */
export interface IdempotencyKeysTable {
  key: string;
  /** JSON text of the result, null when the result was `undefined`. */
  result: string | null;
  created_at: number;
}

/** One account per user id. */
export interface AccountsTable {
  id: string;
  name: string;
  created_at: number;
}

/** A character of an account; names are unique per account. */
export interface CharactersTable {
  id: string;
  account_id: string;
  name: string;
  /** JSON text. */
  data: string;
  created_at: number;
}

/** The character an account plays as (at most one per account). */
export interface ActiveCharactersTable {
  account_id: string;
  character_id: string;
}

/** Where an item can be. */
export type ItemContainer = 'inventory' | 'equipment';

/**
 * Every item instance, wherever it is: one table, one row per uid, so an item can never be in two
 * places; UNIQUE(character_id, container, slot) keeps two items out of one slot.
 */
export interface ItemsTable {
  uid: string;
  character_id: string;
  item_type: string;
  quantity: number;
  container: ItemContainer;
  slot: number;
  created_at: number;
}

/** Numeric character stats (level, xp, hp, ...). */
export interface StatsTable {
  character_id: string;
  key: string;
  value: number;
}

/** Currency balances; CHECK (amount >= 0) in the database. */
export interface BalancesTable {
  character_id: string;
  currency: string;
  amount: number;
}

/** One session: its metadata, state and roster (JSON columns hold what the server gave). */
export interface SessionsTable {
  id: string;
  type: string;
  name: string;
  state: string;
  round: number;
  creator: string | null;
  /** The salted scrypt hash of its password, never the password; null without one. */
  password_hash: string | null;
  /** JSON text. */
  options: string;
  /** JSON text: the groups' names. */
  groups: string;
  /** JSON text: the members, their seats and readiness. */
  members: string;
  /** JSON text: the users who joined with the password. */
  admitted: string;
  created_at: number;
  updated_at: number;
}

/** One round's results of a session. */
export interface SessionResultsTable {
  session_id: string;
  round: number;
  /** JSON text. */
  results: string;
  ended_at: number;
}

/** Every table, for `Kysely<Database>`. */
export interface Database {
  tickwire_migrations: MigrationsTable;
  rooms: RoomsTable;
  room_entities: RoomEntitiesTable;
  room_players: RoomPlayersTable;
  idempotency_keys: IdempotencyKeysTable;
  accounts: AccountsTable;
  characters: CharactersTable;
  active_characters: ActiveCharactersTable;
  items: ItemsTable;
  stats: StatsTable;
  balances: BalancesTable;
  sessions: SessionsTable;
  session_results: SessionResultsTable;
}
