/**
 * The entity/component store a room's game code reads and writes.
 *
 * Entities are typed by the game protocol: `room.entities.create('ship', {...})` returns an
 * object whose components are plain-looking objects (`ship.position.x += 1`). Each component
 * field is a generated accessor that records the write in a per-entity change mask, so dirty
 * tracking (seed 000's markNetworkDirty) is done by the store, never by hand. The replication
 * layer reads the masks once per snapshot and turns them into wire values.
 */
import type { EntityTypeInfo, EntityTypeName, EntityValuesOf, GameProtocol, WireValue } from '@tickwire/protocol';
import { ErrorCode, TickwireError } from '@tickwire/protocol';

/** What the store keeps per entity: game values plus the replication bookkeeping. */
export class EntityRecord {
  alive = true;
  /** Bit i set: field i was written since the last snapshot. */
  dirty = 0;
  /** Published wire values (what clients hold), per flat field. */
  readonly wire: WireValue[];
  /** Linear fields: key frame rate (1/16 step per tick) and key frame tick. */
  readonly rates: number[];
  readonly keyTick: number[];
  /** Linear fields: the last sampled value in (unrounded) wire steps and when, to estimate the next rate. */
  readonly lastQ: number[];
  readonly lastQTick: number[];
  /** Tick at which each field last changed on the wire. */
  readonly changedTick: number[];
  /** Latest of changedTick; the tick the entity was first published. */
  lastChange = 0;
  createdTick = 0;
  /** Set once the entity has been published in a snapshot. */
  published = false;
  /** Its type is durable: writes, creation and removal mark it for the next checkpoint. */
  persistTracked = false;
  /** Written, created or removed since persistence last collected it (it is in persistDirtyList). */
  persistDirty = false;
  /**
   * Interest snapshots: this entity's records encoded for the current snapshot tick, shared by
   * every client that needs the same one: triples of (key, byte offset, bits) into the encoder's
   * shared writer, valid while `encodedTick` is that tick.
   */
  encodedTick = -1;
  readonly encoded: number[] = [];
  /**
   * Its share of the view digest (docs/protocol.md 8.6) as published: presence plus every field's
   * term, and each field's term, kept current by NetworkState.publish.
   */
  digest = 0;
  readonly terms: number[] = [];

  constructor(
    readonly id: number,
    readonly type: EntityTypeInfo,
    readonly values: unknown[],
  ) {
    const n = type.fields.length;
    this.wire = new Array<WireValue>(n).fill(0);
    this.rates = new Array<number>(n).fill(0);
    this.keyTick = new Array<number>(n).fill(0);
    this.lastQ = new Array<number>(n).fill(0);
    this.lastQTick = new Array<number>(n).fill(0);
    this.changedTick = new Array<number>(n).fill(0);
  }
}

/** An entity's values as plain data, component by component (what storage keeps, what a replay compares). */
export function componentValues(rec: EntityRecord): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const c of rec.type.components) {
    const fields: Record<string, unknown> = {};
    for (const f of c.fields) fields[f.name] = rec.values[f.index];
    out[c.name] = fields;
  }
  return out;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] extends object ? Mutable<T[K]> : T[K] };
type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? Partial<T[K]> : T[K] };

type EntityOfType<P extends GameProtocol, T extends EntityTypeName<P>> = {
  readonly id: number;
  readonly type: T;
  /** False once removed. */
  readonly alive: boolean;
} & Mutable<EntityValuesOf<P, T>>;

/**
 * An entity as game code sees it: its id, its type name and one object per component. Without
 * a type argument it is the union of the protocol's entity types, narrowed by `entity.type`.
 */
export type Entity<P extends GameProtocol = GameProtocol, T extends EntityTypeName<P> = EntityTypeName<P>> = string extends EntityTypeName<P>
  ? AnyEntity
  : T extends unknown
    ? EntityOfType<P, T>
    : never;

/** An entity of a protocol not known at compile time (what the runtime itself handles). */
export interface AnyEntity {
  readonly id: number;
  readonly type: string;
  readonly alive: boolean;
  readonly [component: string]: unknown;
}

export type EntityInit<P extends GameProtocol, T extends EntityTypeName<P>> = DeepPartial<EntityValuesOf<P, T>>;

const RECORD = Symbol('tickwire.record');

interface EntityObject {
  [RECORD]: EntityRecord;
}

/** Looks up the store's record behind an entity object. */
export function recordOf(entity: { readonly id: number }): EntityRecord {
  const rec = (entity as unknown as EntityObject)[RECORD];
  if (!rec) throw new TypeError('not an entity created by a tickwire EntityStore');
  return rec;
}

/** Builds, once per entity type, the prototype whose accessors do the dirty tracking. */
function buildPrototypes(type: EntityTypeInfo, onDirty: (rec: EntityRecord) => void, onPersistDirty: (rec: EntityRecord) => void): {
  entityProto: object;
  componentProtos: { name: string; proto: object }[];
} {
  const componentProtos = type.components.map((c) => {
    const proto: Record<string, unknown> = {};
    for (const f of c.fields) {
      const i = f.index;
      const bit = 1 << i;
      const ft = f.type;
      const label = `${type.name}.${c.name}.${f.name}`;
      Object.defineProperty(proto, f.name, {
        enumerable: true,
        get(this: EntityObject) {
          return this[RECORD].values[i];
        },
        set(this: EntityObject, v: unknown) {
          const rec = this[RECORD];
          if (rec.values[i] === v) return;
          try {
            ft.toWire(v);
          } catch (err) {
            throw new TickwireError(ErrorCode.VALUE_OUT_OF_RANGE, `${label}: ${(err as Error).message}`);
          }
          rec.values[i] = v;
          if (rec.dirty === 0 && rec.alive) onDirty(rec);
          rec.dirty |= bit;
          if (rec.persistTracked && !rec.persistDirty) onPersistDirty(rec);
        },
      });
    }
    return { name: c.name, proto };
  });
  const entityProto = {
    get id(): number {
      return (this as unknown as EntityObject)[RECORD].id;
    },
    get type(): string {
      return type.name;
    },
    get alive(): boolean {
      return (this as unknown as EntityObject)[RECORD].alive;
    },
    toJSON(this: EntityObject) {
      const rec = this[RECORD];
      const out: Record<string, unknown> = { id: rec.id, type: type.name };
      for (const c of type.components) out[c.name] = Object.fromEntries(c.fields.map((f) => [f.name, rec.values[f.index]]));
      return out;
    },
  };
  return { entityProto, componentProtos };
}

/**
 * The entities of one room.
 *
 * @example
 * const ship = room.entities.create('ship', { position: { x: 10, y: 20 } });
 * ship.position.x += 5;          // marks position.x dirty
 * room.entities.remove(ship);
 */
/**
 * What the replication layers (snapshots, interest, view digests, recordings) read of a store:
 * records, never typed entities, so one implementation serves every protocol.
 */
export interface EntityRecords {
  /** Records written since the last snapshot (each once). */
  readonly dirtyList: EntityRecord[];
  /** Records created since the last snapshot. */
  readonly createdList: EntityRecord[];
  /** Records removed since the last snapshot. */
  readonly removedList: EntityRecord[];
  record(id: number): EntityRecord | undefined;
  liveRecords(): IterableIterator<EntityRecord>;
}

export class EntityStore<P extends GameProtocol = GameProtocol> implements EntityRecords {
  private nextId = 1;
  private readonly records = new Map<number, EntityRecord>();
  private readonly objects = new Map<number, Entity<P>>();
  private readonly protos = new Map<string, ReturnType<typeof buildPrototypes>>();
  /** Entities written since the last snapshot (each once). */
  readonly dirtyList: EntityRecord[] = [];
  /** Entities created / removed since the replication layer last looked. */
  readonly createdList: EntityRecord[] = [];
  readonly removedList: EntityRecord[] = [];
  /**
   * Durable entities written, created or removed since persistence last collected them (each
   * once): what a checkpoint walks instead of the whole world. Only types passed to
   * trackPersistence are recorded, so a room without persistence pays one boolean test per write.
   */
  readonly persistDirtyList: EntityRecord[] = [];
  private persistTypes: ReadonlySet<string> = new Set();

  constructor(readonly protocol: P) {
    const markPersist = (rec: EntityRecord) => this.markPersistDirty(rec);
    for (const type of protocol.entityTypes) {
      this.protos.set(type.name, buildPrototypes(type, (rec) => this.dirtyList.push(rec), markPersist));
    }
  }

  /**
   * Internal, for persistence: records changes to entities of these types in persistDirtyList
   * from now on, starting with every live one (the room may have created some in setup).
   * Throws for a name that is not an entity type of the protocol.
   */
  trackPersistence(typeNames: Iterable<string>): void {
    const types = new Set(typeNames);
    const known = this.protocol.entityTypes.map((t) => t.name);
    for (const name of types) {
      if (!known.includes(name)) {
        throw new RangeError(`persistence.durable names '${name}', which is not an entity type of protocol '${this.protocol.name}': use one of ${known.map((k) => `'${k}'`).join(', ')}`);
      }
    }
    this.persistTypes = types;
    for (const rec of this.records.values()) {
      rec.persistTracked = types.has(rec.type.name);
      if (rec.persistTracked) this.markPersistDirty(rec);
    }
  }

  /** Internal, for persistence: puts a tracked entity back on persistDirtyList (a write that failed). */
  markPersistDirty(rec: EntityRecord): void {
    if (!rec.persistTracked || rec.persistDirty) return;
    rec.persistDirty = true;
    this.persistDirtyList.push(rec);
  }

  get size(): number {
    return this.records.size;
  }

  /** Creates an entity; fields not given take their type's default (0, false, '', first enum value). */
  create<T extends EntityTypeName<P>>(typeName: T, init: EntityInit<P, T> = {} as EntityInit<P, T>): Entity<P, T> {
    const type = this.protocol.entityType(typeName);
    const values = type.fields.map((f) => {
      const given = (init as Record<string, Record<string, unknown> | undefined>)[f.component]?.[f.name];
      const v = given === undefined ? f.type.defaultValue : given;
      try {
        f.type.toWire(v);
      } catch (err) {
        throw new TickwireError(ErrorCode.VALUE_OUT_OF_RANGE, `${type.name}.${f.component}.${f.name}: ${(err as Error).message}`);
      }
      return v;
    });
    if (this.nextId > 0xfffffffe) throw new Error('entity ids exhausted for this room (2^32-2 created); dispose and recreate it');
    const rec = new EntityRecord(this.nextId++, type, values);
    if (this.persistTypes.has(type.name)) {
      rec.persistTracked = true;
      this.markPersistDirty(rec);
    }
    const { entityProto, componentProtos } = this.protos.get(type.name)!;
    const obj = Object.create(entityProto) as EntityObject & Record<string, unknown>;
    Object.defineProperty(obj, RECORD, { value: rec });
    for (const { name, proto } of componentProtos) {
      const comp = Object.create(proto) as EntityObject;
      Object.defineProperty(comp, RECORD, { value: rec });
      Object.defineProperty(obj, name, { value: comp, enumerable: true });
    }
    const entity = obj as unknown as Entity<P, T>;
    this.records.set(rec.id, rec);
    this.objects.set(rec.id, entity as unknown as Entity<P>);
    this.createdList.push(rec);
    return entity;
  }

  get(id: number): Entity<P> | undefined {
    return this.objects.get(id);
  }

  has(id: number): boolean {
    return this.records.has(id);
  }

  /** Removes an entity (by object or id). Removing twice is a no-op. */
  remove(entity: { readonly id: number } | number): boolean {
    const id = typeof entity === 'number' ? entity : entity.id;
    const rec = this.records.get(id);
    if (!rec) return false;
    rec.alive = false;
    this.records.delete(id);
    this.objects.delete(id);
    this.removedList.push(rec);
    this.markPersistDirty(rec);
    return true;
  }

  /** All live entities, in id order. */
  all(): IterableIterator<Entity<P>> {
    return this.objects.values();
  }

  /** Live entities of one type. */
  *ofType<T extends EntityTypeName<P>>(typeName: T): IterableIterator<Entity<P, T>> {
    for (const e of this.objects.values()) if (e.type === typeName) yield e as unknown as Entity<P, T>;
  }

  /** Internal: the record of an id, for replication. */
  record(id: number): EntityRecord | undefined {
    return this.records.get(id);
  }

  /** Internal: all live records. */
  liveRecords(): IterableIterator<EntityRecord> {
    return this.records.values();
  }
}
