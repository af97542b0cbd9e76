/**
 * A game's protocol: its entity components and types, input, commands and events, declared once
 * and imported by both the server room and the client.
 *
 * The declaration is compiled into flat tables (field lists per entity type, command and event
 * indices) that the snapshot and message codecs use, plus a 32-bit hash that the hello message
 * carries so a client built against another version of the game is refused with a clear error.
 * The join options are part of the declaration (and of the hash): what a client may ask for when
 * it joins is as much the game's contract as its inputs.
 */
import type { AnyField, FieldsDef, ValuesOf } from './types.js';
import { Struct } from './types.js';

export type ComponentsDef = Record<string, FieldsDef>;

/**
 * A game's sessions (lobby -> running -> results): the roles a seat can have, how many groups
 * (ships, teams) a session may hold, the options its creator sets and the results a round ends
 * with. Part of the protocol (and of its hash) because both sides encode them.
 */
export interface SessionDeclaration {
  /** The roles of a seat in a group, in order (`['helm', 'weapons']`): 1..16 distinct names. */
  roles: readonly string[];
  /** The most groups a session can have (its options pick how many it does have): 1..64. */
  maxGroups: number;
  /** What the creator sets in the lobby: `{ difficulty: t.uint({ max: 11 }) }`. */
  options?: FieldsDef;
  /** What the game ends a round with: the whole session's, each group's and each member's. */
  results?: { session?: FieldsDef; group?: FieldsDef; member?: FieldsDef };
}

/** A session declaration compiled: role names and the structs of options and results. */
export interface SessionSchema {
  readonly roles: readonly string[];
  readonly maxGroups: number;
  readonly options: Struct<FieldsDef>;
  readonly sessionResults: Struct<FieldsDef>;
  readonly groupResults: Struct<FieldsDef>;
  readonly memberResults: Struct<FieldsDef>;
}

/** Wire bounds of a session declaration: roles and groups are sent as indices below these. */
export const SESSION_BOUNDS = { roles: 16, groups: 64, roleNameBytes: 32 } as const;

export interface ProtocolDefinition<
  C extends ComponentsDef = ComponentsDef,
  E extends Record<string, readonly (keyof C & string)[]> = Record<string, readonly (keyof C & string)[]>,
  I extends FieldsDef = FieldsDef,
  Cm extends Record<string, Record<string, FieldsDef>> = Record<string, Record<string, FieldsDef>>,
  Ev extends Record<string, FieldsDef> = Record<string, FieldsDef>,
  J extends FieldsDef = FieldsDef,
  Se extends SessionDeclaration | undefined = SessionDeclaration | undefined,
> {
  /** A name for the game; part of the hash. */
  name: string;
  /** Components: named groups of typed fields. */
  components: C;
  /** Entity types: each a list of components, fixed for the entity's lifetime. */
  entities: E;
  /** The per-tick input a client sends (movement keys, aim, ...). */
  input?: I;
  /** Discrete actions, grouped by feature: `{ combat: { fire: { angle: t.angle() } } }`. */
  commands?: Cm;
  /** Server-to-client events: `{ hit: { target: t.ref(), damage: t.uint(8) } }`. */
  events?: Ev;
  /**
   * What a client sends when it joins or creates a room (HELLO), read by the room's `onAuth`
   * and `onJoin`: `{ team: t.uint({ max: 3 }), password: t.string(64) }`. At most
   * LIMITS.joinOptionsBytes (1024) bytes encoded. None declared: an empty struct.
   */
  join?: J;
  /**
   * Sessions: rooms with a lobby, seats (a group and a role), ready and start, results. A room
   * type whose definition has `session` needs this. See docs/sessions.md.
   */
  session?: Se;
}

/** The state of one component: its field values. */
export type ComponentValues<C extends ComponentsDef, K extends keyof C> = ValuesOf<C[K]>;

/** The state of an entity of a type: a value object per component. */
export type EntityValues<C extends ComponentsDef, Names extends readonly (keyof C)[]> = {
  [K in Names[number]]: ValuesOf<C[K]>;
};

export interface FlatField {
  /** Index in the entity type's flat field list (0..31). */
  readonly index: number;
  readonly component: string;
  readonly name: string;
  readonly type: AnyField;
}

export interface EntityTypeInfo {
  readonly name: string;
  readonly index: number;
  readonly components: readonly { readonly name: string; readonly fields: readonly FlatField[] }[];
  readonly fields: readonly FlatField[];
  /** Flat indices of linear fields. */
  readonly linearFields: readonly number[];
}

export interface CommandInfo {
  readonly feature: string;
  readonly action: string;
  readonly featureIndex: number;
  readonly actionIndex: number;
  readonly payload: Struct<FieldsDef>;
}

export interface EventInfo {
  readonly name: string;
  readonly index: number;
  readonly payload: Struct<FieldsDef>;
}

/** Most fields an entity type may have: change masks are 32-bit. */
export const MAX_FIELDS_PER_ENTITY = 32;

/** A compiled protocol. `D` keeps the declaration's types for typed APIs on both sides. */
export class GameProtocol<D extends ProtocolDefinition = ProtocolDefinition> {
  readonly name: string;
  readonly entityTypes: readonly EntityTypeInfo[];
  readonly entityTypeBits: number;
  readonly input: Struct<FieldsDef>;
  readonly commands: readonly CommandInfo[];
  readonly events: readonly EventInfo[];
  /** The join options' struct (empty when the declaration has none). */
  readonly join: Struct<FieldsDef>;
  /** The session declaration compiled, or null when the protocol declares none. */
  readonly session: SessionSchema | null;
  readonly hash: number;
  private readonly typeByName = new Map<string, EntityTypeInfo>();
  private readonly commandByName = new Map<string, CommandInfo>();
  private readonly commandByIndex = new Map<number, CommandInfo>();
  private readonly eventByName = new Map<string, EventInfo>();

  constructor(readonly definition: D) {
    this.name = definition.name;
    const types: EntityTypeInfo[] = [];
    for (const [name, compNames] of Object.entries(definition.entities)) {
      const fields: FlatField[] = [];
      const components: { name: string; fields: FlatField[] }[] = [];
      for (const cname of compNames) {
        const comp = definition.components[cname];
        if (!comp) throw new Error(`entity type '${name}' uses unknown component '${cname}'`);
        const cf: FlatField[] = [];
        for (const [fname, type] of Object.entries(comp)) {
          const f: FlatField = { index: fields.length, component: cname, name: fname, type };
          fields.push(f);
          cf.push(f);
        }
        components.push({ name: cname, fields: cf });
      }
      if (fields.length > MAX_FIELDS_PER_ENTITY) {
        throw new Error(`entity type '${name}' has ${fields.length} fields; the limit is ${MAX_FIELDS_PER_ENTITY}: split it into two entity types`);
      }
      const info: EntityTypeInfo = {
        name,
        index: types.length,
        components,
        fields,
        linearFields: fields.filter((f) => f.type.linear).map((f) => f.index),
      };
      types.push(info);
      this.typeByName.set(name, info);
    }
    if (types.length === 0) throw new Error('a protocol needs at least one entity type');
    this.entityTypes = types;
    this.entityTypeBits = types.length <= 1 ? 0 : 32 - Math.clz32(types.length - 1);
    this.input = new Struct(definition.input ?? {});

    const commands: CommandInfo[] = [];
    Object.entries(definition.commands ?? {}).forEach(([feature, actions], fi) => {
      Object.entries(actions).forEach(([action, payload], ai) => {
        const info: CommandInfo = { feature, action, featureIndex: fi, actionIndex: ai, payload: new Struct(payload) };
        commands.push(info);
        this.commandByName.set(`${feature}.${action}`, info);
        this.commandByIndex.set(fi * 65536 + ai, info);
      });
    });
    this.commands = commands;

    this.events = Object.entries(definition.events ?? {}).map(([name, payload], index) => {
      const info: EventInfo = { name, index, payload: new Struct(payload) };
      this.eventByName.set(name, info);
      return info;
    });

    this.join = new Struct(definition.join ?? {});
    this.session = definition.session ? compileSession(definition.session) : null;

    this.hash = fnv1a(this.describe());
  }

  /** Canonical text of the whole declaration; its FNV-1a hash identifies the protocol. */
  describe(): string {
    const parts = [`name=${this.name}`];
    for (const et of this.entityTypes) {
      parts.push(`entity ${et.name}:${et.fields.map((f) => `${f.component}.${f.name}=${f.type.describe}`).join(';')}`);
    }
    parts.push(`input ${this.input.describe}`);
    for (const c of this.commands) parts.push(`command ${c.feature}.${c.action} ${c.payload.describe}`);
    for (const e of this.events) parts.push(`event ${e.name} ${e.payload.describe}`);
    parts.push(`join ${this.join.describe}`);
    // Only when declared, so a protocol without sessions keeps the hash it always had.
    const se = this.session;
    if (se) {
      parts.push(`session roles=${se.roles.join('|')} groups=${se.maxGroups} options ${se.options.describe}`);
      parts.push(`results ${se.sessionResults.describe} group ${se.groupResults.describe} member ${se.memberResults.describe}`);
    }
    return parts.join('\n');
  }

  entityType(name: string): EntityTypeInfo {
    const info = this.typeByName.get(name);
    if (!info) throw new Error(`unknown entity type '${name}'; declared: ${[...this.typeByName.keys()].join(', ')}`);
    return info;
  }

  command(feature: string, action: string): CommandInfo | undefined {
    return this.commandByName.get(`${feature}.${action}`);
  }

  commandAt(featureIndex: number, actionIndex: number): CommandInfo | undefined {
    if (actionIndex >= 65536) return undefined;
    return this.commandByIndex.get(featureIndex * 65536 + actionIndex);
  }

  event(name: string): EventInfo | undefined {
    return this.eventByName.get(name);
  }
}

function compileSession(d: SessionDeclaration): SessionSchema {
  const roles = [...d.roles];
  if (roles.length < 1 || roles.length > SESSION_BOUNDS.roles) throw new Error(`a session declares 1..${SESSION_BOUNDS.roles} roles, got ${roles.length}`);
  const utf8 = new TextEncoder();
  for (const r of roles) {
    const bytes = utf8.encode(r).length;
    if (typeof r !== 'string' || bytes < 1 || bytes > SESSION_BOUNDS.roleNameBytes || /[|\s]/.test(r)) {
      throw new Error(`session role '${String(r)}': use 1-${SESSION_BOUNDS.roleNameBytes} bytes with no spaces or '|'`);
    }
  }
  if (new Set(roles).size !== roles.length) throw new Error(`session roles must be distinct: ${roles.join(', ')}`);
  if (!Number.isInteger(d.maxGroups) || d.maxGroups < 1 || d.maxGroups > SESSION_BOUNDS.groups) {
    throw new Error(`a session's maxGroups must be a whole number in 1..${SESSION_BOUNDS.groups}, got ${d.maxGroups}`);
  }
  return {
    roles,
    maxGroups: d.maxGroups,
    options: new Struct(d.options ?? {}),
    sessionResults: new Struct(d.results?.session ?? {}),
    groupResults: new Struct(d.results?.group ?? {}),
    memberResults: new Struct(d.results?.member ?? {}),
  };
}

/** 32-bit FNV-1a over the UTF-16 code units of a string. */
export function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * Declares a game protocol. Import the result from both the server room and the client.
 *
 * @example
 * const arena = defineProtocol({
 *   name: 'arena',
 *   components: {
 *     position: { x: t.float({ min: 0, max: 1000, precision: 0.1, linear: true }),
 *                 y: t.float({ min: 0, max: 1000, precision: 0.1, linear: true }) },
 *     health: { hp: t.uint({ max: 100 }) },
 *   },
 *   entities: { ship: ['position', 'health'] },
 *   input: { dx: t.int({ min: -1, max: 1 }), dy: t.int({ min: -1, max: 1 }) },
 *   commands: { combat: { fire: { angle: t.angle({ bits: 12 }) } } },
 *   join: { team: t.uint({ max: 3 }), password: t.string(64) },
 * });
 */
export function defineProtocol<
  const C extends ComponentsDef,
  const E extends Record<string, readonly (keyof C & string)[]>,
  const I extends FieldsDef = Record<never, never>,
  const Cm extends Record<string, Record<string, FieldsDef>> = Record<never, never>,
  const Ev extends Record<string, FieldsDef> = Record<never, never>,
  const J extends FieldsDef = Record<never, never>,
  const Se extends SessionDeclaration | undefined = undefined,
>(definition: ProtocolDefinition<C, E, I, Cm, Ev, J, Se>): GameProtocol<ProtocolDefinition<C, E, I, Cm, Ev, J, Se>> {
  return new GameProtocol(definition);
}

/* Type helpers that let the server and client APIs be typed by a protocol. */
type Def<P> = P extends GameProtocol<infer D> ? D : never;
export type ComponentsOf<P> = Def<P> extends ProtocolDefinition<infer C> ? C : ComponentsDef;
export type EntityTypesOf<P> = Def<P>['entities'];
export type EntityTypeName<P> = keyof EntityTypesOf<P> & string;
export type EntityValuesOf<P, T extends EntityTypeName<P>> = EntityValues<ComponentsOf<P>, EntityTypesOf<P>[T]>;
export type InputOf<P> = NonNullable<Def<P>['input']> extends FieldsDef ? ValuesOf<NonNullable<Def<P>['input']>> : Record<never, never>;
export type CommandsOf<P> = NonNullable<Def<P>['commands']>;
export type FeatureName<P> = keyof CommandsOf<P> & string;
export type ActionName<P, F extends FeatureName<P>> = keyof CommandsOf<P>[F] & string;
export type CommandPayload<P, F extends FeatureName<P>, A extends ActionName<P, F>> = CommandsOf<P>[F][A] extends FieldsDef
  ? ValuesOf<CommandsOf<P>[F][A]>
  : never;
export type EventsOf<P> = NonNullable<Def<P>['events']>;
export type EventName<P> = keyof EventsOf<P> & string;
/** The join options a client sends for protocol P (HELLO), as `onAuth` and `onJoin` receive them. */
export type JoinOptionsOf<P> = NonNullable<Def<P>['join']> extends FieldsDef ? ValuesOf<NonNullable<Def<P>['join']>> : Record<never, never>;
type SessionOf<P> = NonNullable<Def<P>['session']>;
type Nothing = Record<never, never>;
type ValuesIn<T, K extends string> = T extends { [Q in K]: infer F extends FieldsDef } ? ValuesOf<F> : Nothing;
type ResultsOf<P> = SessionOf<P> extends { results: infer R } ? R : Nothing;
/** The options a session of protocol P is created with (its `session.options`). */
export type SessionOptionsOf<P> = [SessionOf<P>] extends [never] ? Nothing : ValuesIn<SessionOf<P>, 'options'>;
/** A role name of protocol P's sessions: `'helm' | 'weapons' | ...`. */
export type RoleOf<P> = [SessionOf<P>] extends [never] ? never : SessionOf<P> extends { roles: readonly (infer R extends string)[] } ? R : string;
/** What a round of protocol P ends with, for the whole session. */
export type SessionResultOf<P> = [SessionOf<P>] extends [never] ? Nothing : ValuesIn<ResultsOf<P>, 'session'>;
/** What a round of protocol P ends with, for one group. */
export type GroupResultOf<P> = [SessionOf<P>] extends [never] ? Nothing : ValuesIn<ResultsOf<P>, 'group'>;
/** What a round of protocol P ends with, for one member. */
export type MemberResultOf<P> = [SessionOf<P>] extends [never] ? Nothing : ValuesIn<ResultsOf<P>, 'member'>;
export type EventPayload<P, N extends EventName<P>> = EventsOf<P>[N] extends FieldsDef ? ValuesOf<EventsOf<P>[N]> : never;
/**
 * One event of protocol P as a client receives it: a union over the declared events, so that
 * checking `name` narrows `payload`.
 *
 * @example
 * room.on('event', (e) => {
 *   if (e.name === 'hit') flash(e.payload.target, e.payload.damage);
 * });
 */
export type EventOf<P> = { [N in EventName<P>]: { name: N; payload: EventPayload<P, N> } }[EventName<P>];
