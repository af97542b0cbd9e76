/**
 * Replication converges whatever the network does, in every mode: everyone sees everything,
 * per-client relevance (`isRelevant`), and interest management (distance tiers with their own
 * rates and field sets, channels, a byte budget).
 *
 * A real room on a stepped clock and real SDK clients: two "lossy" clients whose links lose,
 * repeat, delay and reorder frames in both directions (snapshots and acks alike), whose
 * snapshots the server sometimes skips for backpressure, and into which a corrupt frame is
 * sometimes injected (the SDK then starts over with an ACK of 0); and for each a "clean" twin
 * with the same view on a perfect link. fast-check drives the world (creations, changes, moves,
 * velocities, removals, viewpoints, channels) and the network. Then the network turns clean and
 * the world still, and after a few snapshot round trips:
 *
 * - each lossy client holds exactly what its clean twin holds: the same ids and types, and the
 *   same wire values, rates and key ticks for every field it is allowed to have;
 * - the clean twin matches an independent model of what the server publishes to that view,
 *   computed here from the entities' game values: which ids are relevant, with which fields,
 *   and each field's quantized value (a linear field within its one-step threshold slack).
 */
import { connect, type ClientEntity, type ClientRoom } from '@tickwire/client';
import {
  BitWriter,
  Kind,
  ManualClock,
  SnapshotBodyWriter,
  createMemoryPipe,
  defineProtocol,
  linearAt,
  t,
  writeEvents,
  writeSnapshotHead,
  type EntityTypeInfo,
  type Transport,
} from '@tickwire/protocol';
import { createServer, defineRoom, type Entity, type InterestDefinition, type Room, type RoomDefinition } from '@tickwire/server';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { silent } from './game.js';

const game = defineProtocol({
  name: 'replication-property',
  components: {
    pos: { x: t.float({ min: 0, max: 1000, precision: 0.5, linear: true }), y: t.float({ min: 0, max: 1000, precision: 0.5 }) },
    hull: { hp: t.uint({ max: 500 }), shield: t.bool() },
    tag: { name: t.string(6), team: t.uint({ max: 3 }), vis: t.uint({ max: 3 }) },
    aim: { a: t.angle({ bits: 8 }) },
  },
  entities: { ship: ['pos', 'hull', 'tag', 'aim'], rock: ['pos', 'tag'], beacon: ['hull', 'tag'] },
  input: { n: t.uint({ max: 7 }) },
});
type G = typeof game;
type E = Entity<G>;
type Mode = 'all' | 'relevance' | 'interest';
const TYPES = ['ship', 'rock', 'beacon'] as const;
const TICK_MS = 50;

/* ------------------------------------------------------------------------------------------ */
/* The world's rules, and the model of what each view should hold                              */
/* ------------------------------------------------------------------------------------------ */

interface World {
  /** Per view: where it looks from and the teams whose channels it is in (interest mode). */
  viewpoints: { x: number; y: number; teams: Set<number> }[];
  /** Entity id -> x velocity in units per second (drives the linear field). */
  velocity: Map<number, number>;
  /** The room, once set up. */
  room?: Room<G>;
}

const TIERS = [
  { name: 'near', radius: 120 },
  { name: 'mid', radius: 300, rate: 10, components: ['pos', 'hull'] },
  { name: 'far', radius: 600, rate: 4, components: ['pos'] },
];

function valueOf(e: object, component: string, field: string): unknown {
  const c: unknown = Reflect.get(e, component);
  return typeof c === 'object' && c !== null ? Reflect.get(c, field) : undefined;
}

const num = (e: E, component: string, field: string): number => Number(valueOf(e, component, field));
/** The clients' names say which view they share ("v0-lossy", "v0-clean"). */
const viewOf = (client: { readonly name: string }): number => Number(client.name.slice(1, 2));
const hasPos = (e: E) => e.type !== 'beacon';

function interest(world: World): InterestDefinition<{ readonly name: string }, E> {
  return {
    position: (e) => (hasPos(e) ? { x: num(e, 'pos', 'x'), y: num(e, 'pos', 'y') } : undefined),
    viewer: (c) => world.viewpoints[viewOf(c)],
    tiers: TIERS,
    channel: (e) => (num(e, 'tag', 'team') > 0 ? `team${num(e, 'tag', 'team')}` : undefined),
    channels: (c) => [...world.viewpoints[viewOf(c)]!.teams].map((team) => `team${team}`),
    budgetBytes: 40,
  };
}

/** The fields (as a mask) view `v` should hold of `e`, or undefined if `e` is not in its view. */
function modelMask(mode: Mode, world: World, v: number, e: E, type: EntityTypeInfo): number | undefined {
  const all = (1 << type.fields.length) - 1;
  if (mode === 'all') return all;
  if (mode === 'relevance') return (num(e, 'tag', 'vis') & (1 << v)) !== 0 ? all : undefined;
  const vp = world.viewpoints[v]!;
  const team = num(e, 'tag', 'team');
  if (team > 0) return vp.teams.has(team) ? all : undefined;
  if (!hasPos(e)) return all;
  const dx = num(e, 'pos', 'x') - vp.x;
  const dy = num(e, 'pos', 'y') - vp.y;
  const d2 = dx * dx + dy * dy;
  const tier = TIERS.findIndex((tr) => d2 < tr.radius * tr.radius);
  if (tier < 0) return undefined;
  const components = TIERS[tier]!.components;
  let m = 0;
  for (const f of type.fields) if (!components || components.includes(f.component)) m |= 1 << f.index;
  return m;
}

function roomFor(mode: Mode, world: World, s: Scenario): RoomDefinition<G> {
  return defineRoom<G>({
    protocol: game,
    createOnJoin: true,
    reconnectWindowMs: 0,
    snapshotHistory: s.history,
    setup: (room) => {
      world.room = room;
      for (const init of s.initial) create(room, init);
    },
    ...(mode === 'relevance' ? { isRelevant: (_room: Room<G>, client: { readonly name: string }, e: E) => (num(e, 'tag', 'vis') & (1 << viewOf(client))) !== 0 } : {}),
    ...(mode === 'interest' ? { interest: interest(world) } : {}),
    systems: [
      (room, dt) => {
        for (const [id, vx] of world.velocity) {
          const e = room.entities.get(id);
          if (e && e.type !== 'beacon') e.pos.x = Math.min(1000, Math.max(0, e.pos.x + vx * dt));
        }
      },
    ],
  });
}

/* ------------------------------------------------------------------------------------------ */
/* What fast-check generates                                                                   */
/* ------------------------------------------------------------------------------------------ */

interface Init {
  type: (typeof TYPES)[number];
  x: number;
  y: number;
  hp: number;
  shield: boolean;
  name: string;
  team: number;
  vis: number;
  a: number;
}

function create(room: Room<G>, i: Init): E {
  const tag = { name: i.name, team: i.team, vis: i.vis };
  if (i.type === 'ship') return room.entities.create('ship', { pos: { x: i.x, y: i.y }, hull: { hp: i.hp, shield: i.shield }, tag, aim: { a: i.a } });
  if (i.type === 'rock') return room.entities.create('rock', { pos: { x: i.x, y: i.y }, tag });
  return room.entities.create('beacon', { hull: { hp: i.hp, shield: i.shield }, tag });
}

const coord = fc.oneof(fc.integer({ min: 0, max: 1000 }), fc.double({ min: 0, max: 1000, noNaN: true }));
const initArb: fc.Arbitrary<Init> = fc.record({
  type: fc.constantFrom(...TYPES),
  x: coord,
  y: coord,
  hp: fc.nat(500),
  shield: fc.boolean(),
  name: fc.string({ maxLength: 6, unit: 'grapheme-ascii' }),
  team: fc.oneof(fc.constant(0), fc.constant(0), fc.nat(3)),
  vis: fc.nat(3),
  a: fc.double({ min: 0, max: 6.28, noNaN: true }),
});

type Op =
  | { k: 'create'; init: Init }
  | { k: 'remove'; pick: number }
  | { k: 'set'; pick: number; field: 'hp' | 'shield' | 'name' | 'team' | 'vis' | 'a'; value: number }
  | { k: 'move'; pick: number; x: number; y: number }
  | { k: 'velocity'; pick: number; vx: number }
  | { k: 'look'; view: number; x: number; y: number }
  | { k: 'channel'; view: number; team: number }
  | { k: 'skip'; client: number; pattern: number }
  | { k: 'corrupt'; client: number }
  | { k: 'input'; client: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: initArb.map((init): Op => ({ k: 'create', init })) },
  { weight: 2, arbitrary: fc.nat().map((pick): Op => ({ k: 'remove', pick })) },
  {
    weight: 4,
    arbitrary: fc.record({ pick: fc.nat(), field: fc.constantFrom('hp', 'shield', 'name', 'team', 'vis', 'a'), value: fc.nat(500) }).map((o): Op => ({ k: 'set', ...o })),
  },
  { weight: 4, arbitrary: fc.record({ pick: fc.nat(), x: coord, y: coord }).map((o): Op => ({ k: 'move', ...o })) },
  { weight: 2, arbitrary: fc.record({ pick: fc.nat(), vx: fc.integer({ min: -300, max: 300 }) }).map((o): Op => ({ k: 'velocity', ...o })) },
  { weight: 2, arbitrary: fc.record({ view: fc.nat(1), x: coord, y: coord }).map((o): Op => ({ k: 'look', ...o })) },
  { weight: 1, arbitrary: fc.record({ view: fc.nat(1), team: fc.integer({ min: 1, max: 3 }) }).map((o): Op => ({ k: 'channel', ...o })) },
  { weight: 2, arbitrary: fc.record({ client: fc.nat(1), pattern: fc.integer({ min: 1, max: 255 }) }).map((o): Op => ({ k: 'skip', ...o })) },
  { weight: 1, arbitrary: fc.nat(1).map((client): Op => ({ k: 'corrupt', client })) },
  { weight: 1, arbitrary: fc.nat(1).map((client): Op => ({ k: 'input', client })) },
);

/** What happens to one frame: delivered, lost, delivered twice, or held back (and overtaken). */
type Fate = 'ok' | 'drop' | 'dup' | { late: number };
const fateArb: fc.Arbitrary<Fate> = fc.oneof(
  { weight: 6, arbitrary: fc.constant<Fate>('ok') },
  { weight: 3, arbitrary: fc.constant<Fate>('drop') },
  { weight: 1, arbitrary: fc.constant<Fate>('dup') },
  { weight: 2, arbitrary: fc.integer({ min: 1, max: 6 }).map((late): Fate => ({ late })) },
);

interface Scenario {
  /** The room's snapshot history: a short one makes baselines fall out of it often. */
  history: number;
  initial: Init[];
  steps: { op: Op; ticks: number }[];
  /** Per lossy client: fates of frames down (server to client) and up, used in turn. */
  links: { down: Fate[]; up: Fate[] }[];
}

const scenarioArb: fc.Arbitrary<Scenario> = fc.record({
  history: fc.constantFrom(2, 4, 8, 32),
  initial: fc.array(initArb, { maxLength: 6 }),
  steps: fc.array(fc.record({ op: opArb, ticks: fc.nat(3) }), { minLength: 1, maxLength: 40 }),
  links: fc.array(fc.record({ down: fc.array(fateArb, { minLength: 1, maxLength: 24 }), up: fc.array(fateArb, { minLength: 1, maxLength: 24 }) }), { minLength: 2, maxLength: 2 }),
});

/* ------------------------------------------------------------------------------------------ */
/* The network                                                                                 */
/* ------------------------------------------------------------------------------------------ */

const ONE_WAY_MS = 15;
// The handshake and errors are never lost (a real socket delivers them; the conditioner too).
const PROTECTED = new Set<number>([Kind.HELLO, Kind.WELCOME, Kind.ERROR, Kind.LEAVE]);

/**
 * A link whose frames meet their fates in turn, in both directions, until it is made clean. The
 * server's end reports a large send queue for the snapshots `skip` names, so the room skips them.
 */
class LossyLink {
  clean = false;
  /** Bit i set: the server skips the i-th next snapshot (its send queue looks backed up). */
  skip = 0;
  readonly client: Transport;
  readonly server: Transport;
  private lanes = { up: 0, down: 0 };
  private turns = { up: 0, down: 0 };

  constructor(
    private readonly clock: ManualClock,
    private readonly fates: { down: Fate[]; up: Fate[] },
    /** The server's end says its frames may be lost: acknowledged baselines from the start. */
    declared: boolean,
  ) {
    const end = (lane: 'up' | 'down', peer: () => Transport, queued: () => number): Transport => ({
      unreliable: declared,
      onmessage: null,
      onclose: null,
      get bufferedAmount() {
        return queued();
      },
      send: (frame) => this.carry(lane, frame.slice(), peer()),
      close: (code, reason) => {
        const other = peer();
        this.clock.setTimeout(() => other.onclose?.(code, reason), ONE_WAY_MS);
      },
    });
    this.client = end('up', () => this.server, () => 0);
    this.server = end('down', () => this.client, () => ((this.skip & 1) !== 0 ? 100 * 1024 : 0));
  }

  private carry(lane: 'up' | 'down', frame: Uint8Array, to: Transport): void {
    const fates = this.fates[lane];
    const fate: Fate = this.clean || PROTECTED.has(frame[1] ?? -1) ? 'ok' : fates[this.turns[lane]++ % fates.length]!;
    if (fate === 'drop') return;
    const now = this.clock.now();
    const copies = fate === 'dup' ? 2 : 1;
    for (let c = 0; c < copies; c++) {
      let at: number;
      if (typeof fate === 'object') at = now + ONE_WAY_MS + fate.late * 20; // overtaken by later frames
      else at = this.lanes[lane] = Math.max(now + ONE_WAY_MS, this.lanes[lane]);
      this.clock.setTimeout(() => to.onmessage?.(frame), at - now);
    }
  }
}

/**
 * A snapshot frame the client cannot decode: an update for an id it does not hold. It is full, so
 * a client waiting for a full snapshot reads it too (and fails) rather than setting it aside.
 */
function corruptSnapshot(tick: number): Uint8Array {
  const w = new BitWriter();
  writeSnapshotHead(w, game.entityTypeBits, tick, 0);
  const body = new SnapshotBodyWriter(w, game.entityTypeBits);
  body.begin(tick, 0, [], 1);
  body.recordHeader(0xfffff, false);
  writeEvents(w, []);
  return w.toBytes();
}

/* ------------------------------------------------------------------------------------------ */
/* One run                                                                                     */
/* ------------------------------------------------------------------------------------------ */

const flush = () => new Promise<void>((r) => setImmediate(r));

async function run(mode: Mode, link: Link, s: Scenario): Promise<void> {
  const clock = new ManualClock(1000);
  const world: World = { viewpoints: [0, 1].map(() => ({ x: 500, y: 500, teams: new Set<number>() })), velocity: new Map() };
  const server = createServer({ rooms: roomFor(mode, world, s), clock, logger: silent, processMetrics: false });
  const links = s.links.map((fates) => new LossyLink(clock, fates, link === 'declared'));
  const join = async (name: string, transport: Transport): Promise<ClientRoom<G>> => {
    const pending = connect({ transport, room: 'r', name, protocol: game, clock, reconnect: false });
    for (let i = 0; i < 20; i++) {
      clock.advance(5);
      await flush();
    }
    return pending;
  };
  const lossy: ClientRoom<G>[] = [];
  const clean: ClientRoom<G>[] = [];
  const errors: number[] = [0, 0];
  const corrupted = [0, 0];
  for (let v = 0; v < 2; v++) {
    server.accept(links[v]!.server);
    lossy.push(await join(`v${v}-lossy`, links[v]!.client));
    lossy[v]!.on('error', () => errors[v]!++);
    const [mine, theirs] = createMemoryPipe((fn) => clock.setTimeout(fn, ONE_WAY_MS));
    server.accept(theirs);
    clean.push(await join(`v${v}-clean`, mine));
  }
  const room = world.room;
  if (!room) throw new Error('the room was not set up');
  const live = (pick: number): E | undefined => {
    const all = [...room.entities.all()];
    return all.length === 0 ? undefined : all[pick % all.length];
  };
  const tick = async () => {
    clock.advance(TICK_MS);
    for (const l of links) l.skip >>>= 1;
    await flush();
  };

  for (const { op, ticks } of s.steps) {
    switch (op.k) {
      case 'create':
        create(room, op.init);
        break;
      case 'remove': {
        const e = live(op.pick);
        if (e) {
          room.entities.remove(e);
          world.velocity.delete(e.id);
        }
        break;
      }
      case 'set': {
        const e = live(op.pick);
        if (!e) break;
        const v = op.value;
        if (op.field === 'name') e.tag.name = `n${v % 1000}`;
        else if (op.field === 'team') e.tag.team = v % 4;
        else if (op.field === 'vis') e.tag.vis = v % 4;
        else if (e.type !== 'rock' && op.field === 'hp') e.hull.hp = v;
        else if (e.type !== 'rock' && op.field === 'shield') e.hull.shield = v % 2 === 1;
        else if (e.type === 'ship' && op.field === 'a') e.aim.a = (v / 500) * 6;
        break;
      }
      case 'move': {
        const e = live(op.pick);
        if (e && e.type !== 'beacon') {
          e.pos.x = op.x;
          e.pos.y = op.y;
        }
        break;
      }
      case 'velocity': {
        const e = live(op.pick);
        if (e) world.velocity.set(e.id, op.vx);
        break;
      }
      case 'look':
        world.viewpoints[op.view]!.x = op.x;
        world.viewpoints[op.view]!.y = op.y;
        break;
      case 'channel': {
        const teams = world.viewpoints[op.view]!.teams;
        if (teams.has(op.team)) teams.delete(op.team);
        else teams.add(op.team);
        break;
      }
      case 'skip':
        links[op.client]!.skip = op.pattern;
        break;
      case 'corrupt':
        corrupted[op.client]!++;
        links[op.client]!.client.onmessage?.(corruptSnapshot(lossy[op.client]!.view.tick + 1));
        break;
      case 'input':
        lossy[op.client]!.sendInput({ n: 1 });
        break;
    }
    for (let i = 0; i <= ticks; i++) await tick();
  }

  // The network turns clean and the world still; let a few snapshots and acks go round (the far
  // tier sends every fifth snapshot, and the budget spreads a backlog over several).
  for (const l of links) {
    l.clean = true;
    l.skip = 0;
  }
  world.velocity.clear();
  for (let i = 0; i < 60; i++) await tick();

  for (let v = 0; v < 2; v++) {
    const label = `${mode}, view ${v}`;
    expect(errors[v], `${label}: errors other than the injected corrupt frames`).toBe(corrupted[v]);
    expect(lossy[v]!.view.needsFull, `${label}: still waiting for a full snapshot`).toBe(false);
    // The server's view digests agree with a clean client's view every time, and with a lossy
    // one's too: a digest goes out only when what the client holds is sure, whatever was lost.
    expect(clean[v]!.stats.digests, `${label}: digests checked`).toBeGreaterThan(0);
    expect(clean[v]!.stats.desyncs, `${label}: digests that disagreed with a clean view`).toBe(0);
    expect(lossy[v]!.stats.desyncs, `${label}: digests that disagreed with a lossy view`).toBe(0);
    const twin = clean[v]!.view.entities;
    const mine = lossy[v]!.view.entities;
    // The model: what the server publishes to this view.
    const expected = new Map<number, { e: E; type: EntityTypeInfo; mask: number }>();
    for (const e of room.entities.all()) {
      const type = game.entityType(e.type);
      const mask = modelMask(mode, world, v, e, type);
      if (mask !== undefined) expected.set(e.id, { e, type, mask });
    }
    const sorted = (m: ReadonlyMap<number, unknown>) => [...m.keys()].sort((a, b) => a - b);
    expect(sorted(twin), `${label}: the clean client's ids`).toEqual(sorted(expected));
    expect(sorted(mine), `${label}: the lossy client's ids`).toEqual(sorted(expected));
    for (const [id, { e, type, mask }] of expected) {
      const a: ClientEntity = mine.get(id)!;
      const b: ClientEntity = twin.get(id)!;
      expect(a.type.name, `${label}: type of ${id}`).toBe(type.name);
      expect(b.type.name, `${label}: type of ${id}`).toBe(type.name);
      for (const f of type.fields) {
        if ((mask & (1 << f.index)) === 0) continue;
        const i = f.index;
        const what = `${label}: ${type.name} ${id} ${f.component}.${f.name}`;
        expect(a.received & (1 << i), `${what} received`).not.toBe(0);
        // A linear field is its key frame (value, rate, key tick); a plain one its value.
        if (f.type.linear) expect([a.wire[i], a.rates[i], a.keyTicks[i]], `${what} (lossy vs clean)`).toEqual([b.wire[i], b.rates[i], b.keyTicks[i]]);
        else expect(a.wire[i], `${what} (lossy vs clean)`).toEqual(b.wire[i]);
        const truth = f.type.toWire(valueOf(e, f.component, f.name));
        if (f.type.linear) {
          const at = linearAt(b.wire[i] as number, b.rates[i]!, clean[v]!.view.tick - b.keyTicks[i]!, f.type.maxWire);
          expect(Math.abs(at - (truth as number)), `${what} (clean vs server, linear)`).toBeLessThanOrEqual(1);
        } else {
          expect(b.wire[i], `${what} (clean vs server)`).toEqual(truth);
        }
      }
    }
  }
  await server.close();
}

/**
 * How the lossy links present themselves: `declared` links say they may lose frames, so the room
 * takes deltas against acknowledged snapshots from the start; `undeclared` ones look reliable, so
 * the room takes deltas against the last snapshot sent until the client finds one missing and
 * asks for a full snapshot (then acknowledged baselines). The clean twins are reliable links.
 */
type Link = 'declared' | 'undeclared';
const RUNS = { all: 70, relevance: 80, interest: 160 };

describe('replication converges over a network that loses, repeats and reorders', () => {
  for (const link of ['declared', 'undeclared'] as const) {
    for (const mode of ['all', 'relevance', 'interest'] as const) {
      it(`${mode === 'all' ? 'everyone sees everything' : mode === 'relevance' ? 'per-client relevance' : 'interest: tiers, channels, a byte budget'}, ${link} lossy links (${RUNS[mode]} runs)`, async () => {
        await fc.assert(
          fc.asyncProperty(scenarioArb, (s) => run(mode, link, s)),
          { numRuns: RUNS[mode] },
        );
      }, 60_000);
    }
  }
});
