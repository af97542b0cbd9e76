import { describe, expect, it } from 'vitest';
import type { ComponentsDef, ProtocolDefinition } from './schema.js';
import { GameProtocol, MAX_FIELDS_PER_ENTITY, defineProtocol, fnv1a } from './schema.js';
import type { FieldsDef } from './types.js';
import { t } from './types.js';

/** A fresh declaration each call (new field-type objects), so hash stability is not identity. */
function arena() {
  return defineProtocol({
    name: 'arena',
    components: {
      position: {
        x: t.float({ min: 0, max: 1000, precision: 0.1, linear: true }),
        y: t.float({ min: 0, max: 1000, precision: 0.1, linear: true }),
      },
      health: { hp: t.uint({ max: 100 }) },
      label: { name: t.string(16), team: t.enum(['red', 'blue']) },
    },
    entities: { ship: ['position', 'health', 'label'], rock: ['position'], flag: ['label', 'health'] },
    input: { dx: t.int({ min: -1, max: 1 }), dy: t.int({ min: -1, max: 1 }), fire: t.bool() },
    commands: {
      combat: { fire: { angle: t.angle({ bits: 12 }) }, reload: {} },
      social: { wave: { target: t.ref() } },
    },
    events: { hit: { target: t.ref(), damage: t.uint(8) }, roundOver: {} },
  });
}

/** Builds a protocol from an untyped declaration (for declarations the types would refuse). */
function loose(def: Partial<ProtocolDefinition> & { components: ComponentsDef; entities: Record<string, readonly string[]> }): GameProtocol {
  return new GameProtocol({ name: 'loose', ...def });
}

function manyFields(n: number): FieldsDef {
  return Object.fromEntries(Array.from({ length: n }, (_, i) => [`f${i}`, t.bool()]));
}

describe('defineProtocol flattening', () => {
  const game = arena();

  it('flattens each entity type into indexed fields in component order', () => {
    const ship = game.entityType('ship');
    expect(ship.index).toBe(0);
    expect(ship.fields.map((f) => `${f.index}:${f.component}.${f.name}`)).toEqual([
      '0:position.x',
      '1:position.y',
      '2:health.hp',
      '3:label.name',
      '4:label.team',
    ]);
    expect(ship.components.map((c) => [c.name, c.fields.map((f) => f.index)])).toEqual([
      ['position', [0, 1]],
      ['health', [2]],
      ['label', [3, 4]],
    ]);
    expect(ship.fields[2]!.type).toBe(game.definition.components.health.hp);
  });

  it('indexes fields per type, not globally', () => {
    const flag = game.entityType('flag');
    expect(flag.index).toBe(2);
    expect(flag.fields.map((f) => `${f.index}:${f.component}.${f.name}`)).toEqual(['0:label.name', '1:label.team', '2:health.hp']);
  });

  it('lists the flat indices of linear fields', () => {
    expect(game.entityType('ship').linearFields).toEqual([0, 1]);
    expect(game.entityType('rock').linearFields).toEqual([0, 1]);
    expect(game.entityType('flag').linearFields).toEqual([]);
  });

  it('keeps entity types in declaration order', () => {
    expect(game.entityTypes.map((e) => `${e.index}:${e.name}`)).toEqual(['0:ship', '1:rock', '2:flag']);
  });

  it('throws for an unknown entity type name', () => {
    expect(() => game.entityType('tank')).toThrow(/unknown entity type 'tank'/);
  });

  it('builds the input struct (empty when not declared)', () => {
    expect(game.input.entries.map(([k]) => k)).toEqual(['dx', 'dy', 'fire']);
    const bare = defineProtocol({ name: 'bare', components: { c: { v: t.bool() } }, entities: { e: ['c'] } });
    expect(bare.input.entries).toEqual([]);
    expect(bare.commands).toEqual([]);
    expect(bare.events).toEqual([]);
  });
});

describe('entityTypeBits', () => {
  it('is the bits needed for the largest type index', () => {
    const expected: [number, number][] = [
      [1, 0],
      [2, 1],
      [3, 2],
      [4, 2],
      [5, 3],
      [8, 3],
      [9, 4],
    ];
    for (const [count, bits] of expected) {
      const entities = Object.fromEntries(Array.from({ length: count }, (_, i) => [`e${i}`, ['c']]));
      expect(loose({ components: { c: { v: t.bool() } }, entities }).entityTypeBits).toBe(bits);
    }
  });
});

describe('declaration errors', () => {
  it(`allows ${MAX_FIELDS_PER_ENTITY} fields and refuses more`, () => {
    expect(MAX_FIELDS_PER_ENTITY).toBe(32);
    const ok = loose({ components: { a: manyFields(20), b: manyFields(12) }, entities: { big: ['a', 'b'] } });
    expect(ok.entityType('big').fields).toHaveLength(32);
    expect(() => loose({ components: { a: manyFields(20), b: manyFields(13) }, entities: { big: ['a', 'b'] } })).toThrow(
      /entity type 'big' has 33 fields; the limit is 32/,
    );
  });

  it('refuses an unknown component', () => {
    expect(() => loose({ components: { a: manyFields(1) }, entities: { thing: ['a', 'missing'] } })).toThrow(
      /entity type 'thing' uses unknown component 'missing'/,
    );
  });

  it('needs at least one entity type', () => {
    expect(() => loose({ components: {}, entities: {} })).toThrow(/at least one entity type/);
  });
});

describe('command and event lookup', () => {
  const game = arena();

  it('numbers commands by feature and action', () => {
    expect(game.commands.map((c) => `${c.featureIndex}.${c.actionIndex}=${c.feature}.${c.action}`)).toEqual([
      '0.0=combat.fire',
      '0.1=combat.reload',
      '1.0=social.wave',
    ]);
    const wave = game.command('social', 'wave');
    expect(wave?.featureIndex).toBe(1);
    expect(game.commandAt(1, 0)).toBe(wave);
    expect(game.commandAt(0, 1)).toBe(game.command('combat', 'reload'));
    expect(game.command('combat', 'fire')?.payload.entries.map(([k]) => k)).toEqual(['angle']);
  });

  it('returns undefined for unknown commands', () => {
    expect(game.command('combat', 'dance')).toBeUndefined();
    expect(game.command('magic', 'fire')).toBeUndefined();
    expect(game.commandAt(0, 2)).toBeUndefined();
    expect(game.commandAt(2, 0)).toBeUndefined();
  });

  it('numbers events in declaration order', () => {
    expect(game.event('hit')?.index).toBe(0);
    expect(game.event('roundOver')?.index).toBe(1);
    expect(game.events[1]).toBe(game.event('roundOver'));
    expect(game.event('nope')).toBeUndefined();
  });
});

describe('protocol hash', () => {
  it('matches the reference FNV-1a values', () => {
    expect(fnv1a('')).toBe(0x811c9dc5);
    expect(fnv1a('a')).toBe(0xe40c292c);
    expect(fnv1a('foobar')).toBe(0xbf9cf968);
  });

  it('is the FNV-1a of the canonical description', () => {
    const game = arena();
    expect(game.hash).toBe(fnv1a(game.describe()));
    expect(game.describe().split('\n')).toEqual([
      'name=arena',
      'entity ship:position.x=float(min=0,max=1000,precision=0.1,linear);position.y=float(min=0,max=1000,precision=0.1,linear);health.hp=uint(max=100);label.name=string(max=16);label.team=enum(red|blue)',
      'entity rock:position.x=float(min=0,max=1000,precision=0.1,linear);position.y=float(min=0,max=1000,precision=0.1,linear)',
      'entity flag:label.name=string(max=16);label.team=enum(red|blue);health.hp=uint(max=100)',
      'input {dx:int(min=-1,max=1),dy:int(min=-1,max=1),fire:bool}',
      'command combat.fire {angle:angle(bits=12)}',
      'command combat.reload {}',
      'command social.wave {target:ref(max=4294967294)}',
      'event hit {target:ref(max=4294967294),damage:uint(max=255)}',
      'event roundOver {}',
      'join {}',
    ]);
  });

  it('describes the join options last', () => {
    const game = new GameProtocol({ ...arena().definition, join: { team: t.uint({ max: 3 }), password: t.string(64) } });
    expect(game.describe().split('\n').at(-1)).toBe('join {team:uint(max=3),password:string(max=64)}');
    expect(game.hash).not.toBe(arena().hash);
  });

  it('is stable for the same declaration', () => {
    expect(arena().hash).toBe(arena().hash);
    expect(Number.isInteger(arena().hash) && arena().hash >= 0 && arena().hash <= 0xffffffff).toBe(true);
  });

  it('changes when anything on the wire changes', () => {
    const base = {
      name: 'g',
      components: { pos: { x: t.float({ min: 0, max: 10, precision: 0.5 }) }, hp: { hp: t.uint({ max: 100 }) } },
      entities: { ship: ['pos', 'hp'] },
      input: { fire: t.bool() },
      commands: { combat: { fire: { angle: t.angle() } } },
      events: { hit: { damage: t.uint(8) } },
    } satisfies ProtocolDefinition;
    const variants: Record<string, ProtocolDefinition> = {
      base,
      name: { ...base, name: 'h' },
      precision: { ...base, components: { ...base.components, pos: { x: t.float({ min: 0, max: 10, precision: 0.25 }) } } },
      linear: { ...base, components: { ...base.components, pos: { x: t.float({ min: 0, max: 10, precision: 0.5, linear: true }) } } },
      fieldRenamed: { ...base, components: { ...base.components, pos: { z: t.float({ min: 0, max: 10, precision: 0.5 }) } } },
      uintMax: { ...base, components: { ...base.components, hp: { hp: t.uint({ max: 101 }) } } },
      fieldType: { ...base, components: { ...base.components, hp: { hp: t.int({ min: 0, max: 100 }) } } },
      extraField: { ...base, components: { ...base.components, hp: { hp: t.uint({ max: 100 }), armor: t.bool() } } },
      componentOrder: { ...base, entities: { ship: ['hp', 'pos'] } },
      entityRenamed: { ...base, entities: { boat: ['pos', 'hp'] } },
      extraEntity: { ...base, entities: { ship: ['pos', 'hp'], rock: ['pos'] } },
      input: { ...base, input: { fire: t.bool(), jump: t.bool() } },
      noInput: { ...base, input: {} },
      commandPayload: { ...base, commands: { combat: { fire: { angle: t.angle({ bits: 12 }) } } } },
      commandRenamed: { ...base, commands: { combat: { shoot: { angle: t.angle() } } } },
      extraCommand: { ...base, commands: { combat: { fire: { angle: t.angle() }, reload: {} } } },
      eventPayload: { ...base, events: { hit: { damage: t.uint(16) } } },
      extraEvent: { ...base, events: { hit: { damage: t.uint(8) }, miss: {} } },
      joinOptions: { ...base, join: { team: t.uint({ max: 3 }) } },
      joinOptionMax: { ...base, join: { team: t.uint({ max: 4 }) } },
      joinOptionRenamed: { ...base, join: { side: t.uint({ max: 3 }) } },
    };
    const hashes = Object.entries(variants).map(([k, def]) => [k, new GameProtocol(def).hash] as const);
    const byHash = new Map<number, string[]>();
    for (const [k, h] of hashes) byHash.set(h, [...(byHash.get(h) ?? []), k]);
    // Every variant hashes differently from every other one.
    expect([...byHash.values()].filter((names) => names.length > 1)).toEqual([]);
    expect(new GameProtocol(base).hash).toBe(new GameProtocol({ ...base }).hash);
  });
});
