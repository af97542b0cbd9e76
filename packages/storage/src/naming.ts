/**
 * Where tickwire's tables live in a database it may share with an application: every table
 * (and every constraint or index name, which PostgreSQL keeps in the same namespace as tables)
 * carries a prefix, `tickwire_` by default, and on PostgreSQL the whole set may sit in a schema
 * of its own.
 *
 * The query layer keeps speaking the short, logical names (`rooms`, `items`, ...): a Kysely
 * plugin rewrites them to the physical ones in every query it compiles, so no query, migration
 * step or game-specific query has to know the prefix. Only logical names of tickwire's own tables
 * are rewritten; any other identifier passes through untouched.
 */
import {
  OperationNodeTransformer,
  type CheckConstraintNode,
  type CreateIndexNode,
  type DropIndexNode,
  type ForeignKeyConstraintNode,
  type IdentifierNode,
  type KyselyPlugin,
  type PluginTransformQueryArgs,
  type PluginTransformResultArgs,
  type PrimaryKeyConstraintNode,
  type QueryResult,
  type RootOperationNode,
  type SchemableIdentifierNode,
  type UniqueConstraintNode,
  type UnknownRow,
} from 'kysely';
import { StorageError } from './errors.js';
import type { Database } from './schema.js';

/** The prefix tickwire's tables get unless `openStorage({ tablePrefix })` says otherwise. */
export const DEFAULT_TABLE_PREFIX = 'tickwire_';

/** The logical name of the table that records applied schema versions. */
export const MIGRATIONS_TABLE = 'tickwire_migrations';

/** The tables that existed before table prefixes (migration step 4 moves those of old databases). */
export const LEGACY_TABLES = [
  'rooms',
  'room_entities',
  'room_players',
  'idempotency_keys',
  'accounts',
  'characters',
  'active_characters',
  'items',
  'stats',
  'balances',
] as const satisfies readonly Exclude<keyof Database, typeof MIGRATIONS_TABLE>[];

/**
 * Every logical table name except the migrations table, in creation order. Tables created after
 * prefixes were always prefixed, so an application's own bare table of the same name (a
 * `sessions` table is common) is never taken for one of tickwire's.
 */
export const DATA_TABLES = [...LEGACY_TABLES, 'sessions', 'session_results'] as const satisfies readonly Exclude<keyof Database, typeof MIGRATIONS_TABLE>[];

const LOGICAL: ReadonlySet<string> = new Set<string>([MIGRATIONS_TABLE, ...DATA_TABLES]);

// Unquoted-identifier shape: safe in every statement on both databases, and no case folding
// surprises on PostgreSQL.
const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;

/** How tickwire's logical names map to the database's. */
export interface TableNaming {
  readonly prefix: string;
  /** PostgreSQL schema holding the tables; undefined: the connection's search_path decides. */
  readonly schema: string | undefined;
  /** The physical name of a logical table. */
  table(logical: string): string;
  /** The physical name of a constraint or index declared as `logical`. */
  constraint(logical: string): string;
}

/**
 * Validates the options and returns the naming. Throws INVALID_ARGUMENT with what is allowed.
 *
 * The migrations table is `<prefix>migrations`, except with an empty prefix, where it keeps the
 * name tickwire has always used (`tickwire_migrations`): with no prefix, the layout is exactly
 * that of a database created before prefixes existed.
 */
export function tableNaming(prefix: string = DEFAULT_TABLE_PREFIX, schema?: string): TableNaming {
  if (typeof prefix !== 'string' || (prefix !== '' && !IDENTIFIER.test(prefix)) || prefix.length > 30) {
    throw new StorageError(
      'INVALID_ARGUMENT',
      `tablePrefix must be lower-case letters, digits and underscores, starting with a letter or underscore, at most 30 characters (for example 'tickwire_' or 'game_'), got ${JSON.stringify(prefix)}`,
    );
  }
  if (schema !== undefined && (typeof schema !== 'string' || !IDENTIFIER.test(schema) || schema.length > 63)) {
    throw new StorageError('INVALID_ARGUMENT', `schema must be a lower-case PostgreSQL identifier (letters, digits, underscores), got ${JSON.stringify(schema)}`);
  }
  const table = (logical: string) => {
    if (logical === MIGRATIONS_TABLE) return prefix === '' ? MIGRATIONS_TABLE : `${prefix}migrations`;
    return `${prefix}${logical}`;
  };
  return { prefix, schema, table, constraint: (logical) => `${prefix}${logical}` };
}

/** Rewrites logical table, constraint and index names to their physical names. */
class PhysicalNames extends OperationNodeTransformer {
  constructor(private readonly naming: TableNaming) {
    super();
  }

  private renamed(node: IdentifierNode, to: (name: string) => string): IdentifierNode {
    return { ...node, name: to(node.name) };
  }

  private constraintName<T extends { readonly name?: IdentifierNode }>(node: T): T {
    return node.name ? { ...node, name: this.renamed(node.name, this.naming.constraint) } : node;
  }

  protected override transformSchemableIdentifier(node: SchemableIdentifierNode, queryId?: PluginTransformQueryArgs['queryId']): SchemableIdentifierNode {
    const transformed = super.transformSchemableIdentifier(node, queryId);
    // A qualified name (schema.table) was written by hand: leave it exactly as written.
    if (transformed.schema || !LOGICAL.has(transformed.identifier.name)) return transformed;
    return { ...transformed, identifier: this.renamed(transformed.identifier, this.naming.table) };
  }

  protected override transformPrimaryKeyConstraint(node: PrimaryKeyConstraintNode, queryId?: PluginTransformQueryArgs['queryId']): PrimaryKeyConstraintNode {
    return this.constraintName(super.transformPrimaryKeyConstraint(node, queryId));
  }

  protected override transformUniqueConstraint(node: UniqueConstraintNode, queryId?: PluginTransformQueryArgs['queryId']): UniqueConstraintNode {
    return this.constraintName(super.transformUniqueConstraint(node, queryId));
  }

  protected override transformCheckConstraint(node: CheckConstraintNode, queryId?: PluginTransformQueryArgs['queryId']): CheckConstraintNode {
    return this.constraintName(super.transformCheckConstraint(node, queryId));
  }

  protected override transformForeignKeyConstraint(node: ForeignKeyConstraintNode, queryId?: PluginTransformQueryArgs['queryId']): ForeignKeyConstraintNode {
    return this.constraintName(super.transformForeignKeyConstraint(node, queryId));
  }

  protected override transformCreateIndex(node: CreateIndexNode, queryId?: PluginTransformQueryArgs['queryId']): CreateIndexNode {
    const transformed = super.transformCreateIndex(node, queryId);
    return { ...transformed, name: this.renamed(transformed.name, this.naming.constraint) };
  }

  protected override transformDropIndex(node: DropIndexNode, queryId?: PluginTransformQueryArgs['queryId']): DropIndexNode {
    // DROP INDEX names the index through a schemable identifier, which the table rule above
    // would not recognise; give it the constraint rule instead.
    const transformed = super.transformDropIndex(node, queryId);
    if (transformed.name.schema) return transformed;
    return { ...transformed, name: { ...transformed.name, identifier: this.renamed(transformed.name.identifier, this.naming.constraint) } };
  }
}

/** The Kysely plugin applying {@link TableNaming} to every query. */
export class TableNamingPlugin implements KyselyPlugin {
  private readonly transformer: PhysicalNames;

  constructor(naming: TableNaming) {
    this.transformer = new PhysicalNames(naming);
  }

  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    return this.transformer.transformNode(args.node, args.queryId);
  }

  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return args.result;
  }
}
