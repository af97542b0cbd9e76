/**
 * The schema as a versioned list of steps, and the runner that applies the pending ones.
 *
 * All pending steps run in ONE transaction together with their rows in `tickwire_migrations`,
 * so a database is never left between two versions. Two processes may migrate at once (two
 * servers starting against one database): on PostgreSQL the transaction first takes a
 * transaction-scoped advisory lock, on SQLite it is a write transaction (BEGIN IMMEDIATE, see
 * sqlite-dialect.ts) and busy_timeout makes the second process wait. Either way the second one
 * finds every step recorded and does nothing. Steps are append-only: never edit a released one,
 * add a new version instead (and extend schema.ts to match).
 *
 * Steps use tickwire's logical table names; the storage's naming plugin gives them their prefix
 * (and schema) when they run. Step 4 moves a database created before prefixes onto them.
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from './schema.js';
import type { StorageContext, StorageKind } from './context.js';
import { adoptLegacyMigrations, prefixLegacyTables, PREFIX_VERSION } from './legacy-tables.js';
import type { TableNaming } from './naming.js';

/** What a migration step may need to know beyond its query layer. */
export interface MigrationContext {
  readonly kind: StorageKind;
  readonly naming: TableNaming;
  /** The query layer without the naming plugin, for statements about physical names. */
  readonly raw: Kysely<Database>;
  readonly logger: StorageContext['logger'];
}

/**
 * One schema change. `up` runs inside the migration transaction, on a query layer that maps
 * tickwire's logical table names to the storage's physical ones (see naming.ts), so a step
 * written with bare names creates prefixed tables.
 */
export interface MigrationStep {
  readonly version: number;
  readonly name: string;
  up(db: Kysely<Database>, context: MigrationContext): Promise<void>;
}

/**
 * Arbitrary constant key for pg_advisory_xact_lock ('tick' in ASCII). Advisory locks are per
 * database, so every tickwire schema in one database shares it; that only serialises migrations.
 */
export const MIGRATION_LOCK_KEY = 0x7469636b;

// Type names chosen to work on both databases: SQLite gives BIGINT integer affinity and
// DOUBLE PRECISION real affinity, PostgreSQL takes them as they are.
const EPOCH_MS = 'bigint';

/** Every schema step, in version order. */
export const migrationSteps: readonly MigrationStep[] = [
  {
    version: 1,
    name: 'rooms and checkpoints',
    async up(db) {
      await db.schema
        .createTable('rooms')
        .addColumn('code', 'text', (c) => c.primaryKey())
        .addColumn('meta', 'text')
        .addColumn('checkpoint_at', EPOCH_MS)
        .execute();
      await db.schema
        .createTable('room_entities')
        .addColumn('room_code', 'text', (c) => c.notNull().references('rooms.code').onDelete('cascade'))
        .addColumn('key', 'text', (c) => c.notNull())
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('data', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('room_entities_pk', ['room_code', 'key'])
        .execute();
      await db.schema
        .createTable('room_players')
        .addColumn('room_code', 'text', (c) => c.notNull().references('rooms.code').onDelete('cascade'))
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('data', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('room_players_pk', ['room_code', 'user_id'])
        .execute();
    },
  },
  {
    version: 2,
    name: 'idempotency keys',
    async up(db) {
      await db.schema
        .createTable('idempotency_keys')
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('result', 'text')
        .addColumn('created_at', EPOCH_MS, (c) => c.notNull())
        .execute();
      // For pruning old keys by age.
      await db.schema.createIndex('idempotency_keys_created_at').on('idempotency_keys').column('created_at').execute();
    },
  },
  {
    version: 3,
    name: 'accounts, characters, items, stats and balances',
    async up(db) {
      await db.schema
        .createTable('accounts')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('created_at', EPOCH_MS, (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('characters')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('data', 'text', (c) => c.notNull())
        .addColumn('created_at', EPOCH_MS, (c) => c.notNull())
        .addUniqueConstraint('characters_account_name_unique', ['account_id', 'name'])
        .execute();
      await db.schema
        .createTable('active_characters')
        .addColumn('account_id', 'text', (c) => c.primaryKey().references('accounts.id').onDelete('cascade'))
        .addColumn('character_id', 'text', (c) => c.notNull().references('characters.id').onDelete('cascade'))
        .execute();
      await db.schema
        .createTable('items')
        .addColumn('uid', 'text', (c) => c.primaryKey())
        .addColumn('character_id', 'text', (c) => c.notNull().references('characters.id').onDelete('cascade'))
        .addColumn('item_type', 'text', (c) => c.notNull())
        .addColumn('quantity', 'integer', (c) => c.notNull())
        .addColumn('container', 'text', (c) => c.notNull())
        .addColumn('slot', 'integer', (c) => c.notNull())
        .addColumn('created_at', EPOCH_MS, (c) => c.notNull())
        .addUniqueConstraint('items_slot_unique', ['character_id', 'container', 'slot'])
        .addCheckConstraint('items_quantity_positive', sql`quantity > 0`)
        .addCheckConstraint('items_container_known', sql`container in ('inventory', 'equipment')`)
        .addCheckConstraint('items_slot_non_negative', sql`slot >= 0`)
        .execute();
      await db.schema
        .createTable('stats')
        .addColumn('character_id', 'text', (c) => c.notNull().references('characters.id').onDelete('cascade'))
        .addColumn('key', 'text', (c) => c.notNull())
        .addColumn('value', 'double precision', (c) => c.notNull())
        .addPrimaryKeyConstraint('stats_pk', ['character_id', 'key'])
        .execute();
      await db.schema
        .createTable('balances')
        .addColumn('character_id', 'text', (c) => c.notNull().references('characters.id').onDelete('cascade'))
        .addColumn('currency', 'text', (c) => c.notNull())
        .addColumn('amount', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('balances_pk', ['character_id', 'currency'])
        .addCheckConstraint('balances_amount_non_negative', sql`amount >= 0`)
        .execute();
    },
  },
  {
    version: PREFIX_VERSION,
    name: 'table prefix',
    async up(_db, { kind, naming, raw, logger }) {
      // Fresh databases already have prefixed tables (steps 1 to 3 ran through the naming
      // plugin); a database from before prefixes has bare ones, moved here.
      const moved = await prefixLegacyTables(kind, naming, raw);
      if (moved.length > 0) logger.warn({ tables: moved, prefix: naming.prefix }, `moved tickwire's tables from before table prefixes to the prefix ${naming.prefix}`);
    },
  },
  {
    version: 5,
    name: 'room owner epoch',
    async up(db) {
      // The fencing token of room ownership (ownership.ts). BIGINT because the epochs a room
      // registry hands out (a Redis counter, say) may outgrow 32 bits; NOT NULL DEFAULT 0 gives
      // every existing room "never acquired", which no fenced write carries.
      await db.schema.alterTable('rooms').addColumn('owner_epoch', 'bigint', (c) => c.notNull().defaultTo(0)).execute();
    },
  },
  {
    version: 6,
    name: 'sessions and their results',
    async up(db) {
      // A session's metadata, state and roster in one row (written whole, as the server keeps
      // it), and each round's results in a row of their own.
      await db.schema
        .createTable('sessions')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('round', 'integer', (c) => c.notNull())
        .addColumn('creator', 'text')
        .addColumn('password_hash', 'text')
        .addColumn('options', 'text', (c) => c.notNull())
        .addColumn('groups', 'text', (c) => c.notNull())
        .addColumn('members', 'text', (c) => c.notNull())
        .addColumn('admitted', 'text', (c) => c.notNull())
        .addColumn('created_at', EPOCH_MS, (c) => c.notNull())
        .addColumn('updated_at', EPOCH_MS, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('sessions_state_updated').on('sessions').columns(['state', 'updated_at']).execute();
      await db.schema
        .createTable('session_results')
        .addColumn('session_id', 'text', (c) => c.notNull().references('sessions.id').onDelete('cascade'))
        .addColumn('round', 'integer', (c) => c.notNull())
        .addColumn('results', 'text', (c) => c.notNull())
        .addColumn('ended_at', EPOCH_MS, (c) => c.notNull())
        .addPrimaryKeyConstraint('session_results_pk', ['session_id', 'round'])
        .execute();
    },
  },
];

/**
 * Applies every step of `steps` not yet recorded, in one transaction. Idempotent, and safe when
 * several processes run it against one database at once.
 */
export async function runMigrations(ctx: StorageContext, steps: readonly MigrationStep[] = migrationSteps): Promise<void> {
  await ctx.db.transaction().execute(async (tx) => {
    const raw = tx.withoutPlugins();
    if (ctx.kind === 'postgres') {
      await sql`select pg_advisory_xact_lock(${sql.lit(MIGRATION_LOCK_KEY)})`.execute(raw);
      if (ctx.naming.schema !== undefined) await sql`create schema if not exists ${sql.id(ctx.naming.schema)}`.execute(raw);
    }
    await adoptLegacyMigrations(ctx.kind, ctx.naming, raw);
    await tx.schema
      .createTable('tickwire_migrations')
      .ifNotExists()
      .addColumn('version', 'integer', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('applied_at', EPOCH_MS, (c) => c.notNull())
      .execute();
    const applied = new Set((await tx.selectFrom('tickwire_migrations').select('version').execute()).map((r) => Number(r.version)));
    const known = new Set(steps.map((s) => s.version));
    const unknown = [...applied].filter((v) => !known.has(v));
    if (unknown.length > 0) {
      ctx.logger.warn(
        { versions: unknown.sort((a, b) => a - b) },
        'the database has schema versions this build does not know: a newer tickwire migrated it; upgrade this server before relying on it',
      );
    }
    const pending = [...steps].sort((a, b) => a.version - b.version).filter((s) => !applied.has(s.version));
    for (const step of pending) {
      await step.up(tx, { kind: ctx.kind, naming: ctx.naming, raw, logger: ctx.logger });
      await tx.insertInto('tickwire_migrations').values({ version: step.version, name: step.name, applied_at: ctx.now() }).execute();
    }
  });
}
