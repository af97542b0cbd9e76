/**
 * Moving a database created before table prefixes onto prefixed names, inside the migration
 * transaction (so under its lock, and all or nothing).
 *
 * Before prefixes, tickwire's tables had bare names (`rooms`, `items`, ...) next to
 * `tickwire_migrations`. Migration step 4 renames each bare table that has no prefixed twin yet,
 * with its constraints and indexes, so a migrated database has exactly the names a fresh one
 * gets. A bare table whose prefixed twin exists is left alone: it belongs to the application
 * (that is the collision prefixes exist to avoid). Under a prefix other than the default the
 * migrations table is renamed too, before the runner reads it, so the old versions are found.
 */
import { sql, type Kysely } from 'kysely';
import type { StorageKind } from './context.js';
import { LEGACY_TABLES, MIGRATIONS_TABLE, type TableNaming } from './naming.js';
import type { Database } from './schema.js';

/** The first schema version that knows about prefixes. */
export const PREFIX_VERSION = 4;

/** Names for raw statements: schema-qualified when the storage has a schema. */
function qualified(naming: TableNaming, name: string) {
  return naming.schema ? sql.id(naming.schema, name) : sql.id(name);
}

/** Whether a table named exactly `name` exists where this storage keeps its tables. */
export async function tableExists(kind: StorageKind, naming: TableNaming, raw: Kysely<Database>, name: string): Promise<boolean> {
  if (kind === 'sqlite') {
    const r = await sql<{ n: number }>`select count(*) as n from sqlite_master where type = 'table' and name = ${name}`.execute(raw);
    return Number(r.rows[0]?.n ?? 0) > 0;
  }
  const schema = naming.schema === undefined ? sql`current_schema()` : sql`${naming.schema}`;
  const r = await sql<{ n: number }>`select count(*) as n from pg_catalog.pg_tables where schemaname = ${schema} and tablename = ${name}`.execute(raw);
  return Number(r.rows[0]?.n ?? 0) > 0;
}

/**
 * Under a non-default prefix, takes over `tickwire_migrations` from before prefixes (its
 * highest version below {@link PREFIX_VERSION}) as this prefix's migrations table, so the runner
 * finds versions 1 to 3 applied and step 4 moves the tables. A `tickwire_migrations` at version 4
 * or later belongs to another tickwire (the default prefix) and is not touched.
 */
export async function adoptLegacyMigrations(kind: StorageKind, naming: TableNaming, raw: Kysely<Database>): Promise<boolean> {
  const target = naming.table(MIGRATIONS_TABLE);
  if (target === MIGRATIONS_TABLE) return false;
  if (await tableExists(kind, naming, raw, target)) return false;
  if (!(await tableExists(kind, naming, raw, MIGRATIONS_TABLE))) return false;
  const r = await sql<{ v: number | null }>`select max(version) as v from ${qualified(naming, MIGRATIONS_TABLE)}`.execute(raw);
  const max = r.rows[0]?.v;
  if (max === null || max === undefined || Number(max) >= PREFIX_VERSION) return false;
  if (!(await tableExists(kind, naming, raw, 'rooms'))) return false;
  await sql`alter table ${qualified(naming, MIGRATIONS_TABLE)} rename to ${sql.id(target)}`.execute(raw);
  return true;
}

/** Step 4: renames every bare tickwire table that has no prefixed twin. Returns the tables moved. */
export async function prefixLegacyTables(kind: StorageKind, naming: TableNaming, raw: Kysely<Database>): Promise<string[]> {
  if (naming.prefix === '') return [];
  const moved: string[] = [];
  for (const logical of LEGACY_TABLES) {
    const target = naming.table(logical);
    if (!(await tableExists(kind, naming, raw, logical)) || (await tableExists(kind, naming, raw, target))) continue;
    await sql`alter table ${qualified(naming, logical)} rename to ${sql.id(target)}`.execute(raw);
    if (kind === 'postgres') await renamePostgresConstraints(naming, raw, target);
    else await renameSqliteIndexes(naming, raw, target);
    moved.push(logical);
  }
  return moved;
}

/**
 * PostgreSQL names constraints and indexes in the schema's namespace; a fresh database gets the
 * prefixed names (explicit ones through the naming plugin, automatic ones from the prefixed
 * table name), so give the moved ones the same.
 */
async function renamePostgresConstraints(naming: TableNaming, raw: Kysely<Database>, table: string): Promise<void> {
  const schema = naming.schema === undefined ? sql`current_schema()` : sql`${naming.schema}`;
  const constraints = await sql<{ name: string }>`
    select c.conname as name from pg_catalog.pg_constraint c
    join pg_catalog.pg_class t on t.oid = c.conrelid
    join pg_catalog.pg_namespace n on n.oid = t.relnamespace
    where n.nspname = ${schema} and t.relname = ${table}`.execute(raw);
  const constraintNames = new Set(constraints.rows.map((c) => c.name));
  // Indexes of their own; a primary key's or unique constraint's index carries the constraint's
  // name and is renamed with it.
  const indexes = await sql<{ name: string }>`select indexname as name from pg_catalog.pg_indexes where schemaname = ${schema} and tablename = ${table}`.execute(raw);
  for (const name of constraintNames) {
    await sql`alter table ${qualified(naming, table)} rename constraint ${sql.id(name)} to ${sql.id(naming.constraint(name))}`.execute(raw);
  }
  for (const { name } of indexes.rows) {
    if (constraintNames.has(name)) continue;
    await sql`alter index ${qualified(naming, name)} rename to ${sql.id(naming.constraint(name))}`.execute(raw);
  }
}

/**
 * SQLite keeps index names in the table namespace and cannot rename an index: recreate each
 * index made by CREATE INDEX under its prefixed name. (Constraint names are only text inside
 * the table's definition there, and automatic indexes follow the table.)
 */
async function renameSqliteIndexes(naming: TableNaming, raw: Kysely<Database>, table: string): Promise<void> {
  const indexes = await sql<{ name: string; unique: number }>`select name, "unique" from pragma_index_list(${table}) where origin = 'c'`.execute(raw);
  for (const index of indexes.rows) {
    const columns = await sql<{ name: string }>`select name from pragma_index_info(${index.name}) order by seqno`.execute(raw);
    const list = sql.join(columns.rows.map((c) => sql.id(c.name)));
    await sql`drop index ${sql.id(index.name)}`.execute(raw);
    const unique = Number(index.unique) === 1 ? sql`unique ` : sql``;
    await sql`create ${unique}index ${sql.id(naming.constraint(index.name))} on ${sql.id(table)} (${list})`.execute(raw);
  }
}
