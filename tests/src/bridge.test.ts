/**
 * The bridge (seed 004) on a stepped clock, server and SDK clients over in-memory pipes, in a
 * room that is not a session (players seated in join order: the first six crew ship 1, helm
 * first). What is checked is what the seed specifies: each kind of state reaches whom it
 * concerns at its rate (§3.2), the helm's prediction agrees with the server (§7.2) while the
 * other consoles see the ship move, and each console keeps to its own controls.
 */
import type { ClientRoom } from '@tickwire/client';
import { helmStep } from '@tickwire/bridge/helm';
import { bridge, type Bridge } from '@tickwire/bridge/protocol';
import { bridgeRoom, type BridgeOptions } from '@tickwire/bridge/room';
import { ErrorCode, seededRandom } from '@tickwire/protocol';
import { describe, expect, it } from 'vitest';
import { world } from './world.js';

type BridgeRoom = Parameters<NonNullable<BridgeOptions['observe']>>[0];

async function crewed(players: number, options: BridgeOptions = {}) {
  let room: BridgeRoom | undefined;
  const w = await world(20, bridgeRoom({ session: false, random: seededRandom(4), sector: { scenario: 'training', difficulty: 1, ships: 2 }, observe: (r) => (room = r), ...options }), bridge);
  const clients: ClientRoom<Bridge>[] = [];
  for (let i = 0; i < players; i++) clients.push(await w.join(`p${i}`));
  if (!room) throw new Error('the room was not set up');
  const r = room;
  // One enemy, idle in the far corner, out of everyone's range (the mission goes on while it
  // lives): the contacts each test places are the only ones anyone sees.
  const [keep, ...rest] = [...r.state.npcs.values()];
  for (const npc of rest) {
    r.entities.remove(npc.ship);
    r.state.npcs.delete(npc.id);
  }
  keep!.mode = 'surrendered';
  keep!.ship.position.x = keep!.ship.position.y = 99_000;
  return { w, clients, room: r, ship: r.state.crews[0]! };
}

/** Records received per entity from now on (one per snapshot that carried it). */
function countRecords(client: ClientRoom<Bridge>): Map<number, number> {
  const counts = new Map<number, number>();
  const bump = (id: number) => counts.set(id, (counts.get(id) ?? 0) + 1);
  client.on('change', (e) => bump(e.id));
  client.on('add', (e) => bump(e.id));
  return counts;
}

describe('bridge', () => {
  it('sends each kind of state at its seed 004 rate, to whom it concerns', async () => {
    const { w, clients, room, ship } = await crewed(7);
    const [helm, weapons, engineering] = clients;
    const stranger = clients[6]!; // ship 2's helm
    const home = ship.ship.position;
    const at = (dx: number) => ({ x: home.x + dx, y: home.y });
    const contact = (dx: number) => room.entities.create('ship', { position: at(dx), shields: { fore: 50, aft: 50, up: true }, hull: { hp: 90 }, tag: { name: `c${dx}`, side: 'enemy', cls: 'raider', ship: 0 } });
    const near = contact(5_000);
    const mid = contact(15_000);
    const far = contact(35_000);
    const out = contact(60_000);
    const torpedoNear = room.entities.create('torpedo', { position: at(3_000), warhead: { kind: 'homing', side: 'enemy' } });
    const torpedoFar = room.entities.create('torpedo', { position: at(7_000), warhead: { kind: 'homing', side: 'enemy' } });
    const base = [...room.state.bases.values()][0]!;
    const powered = engineering!.sendCommand('engineering', 'power', { system: 'beams', level: 300 });
    await w.step(1000);
    await powered;

    const seen = countRecords(weapons!);
    for (let tick = 0; tick < 40; tick++) {
      // Everything changes every tick: the rates alone decide what is sent.
      for (const c of [near, mid, far, out]) {
        c.position.x += tick % 2 === 0 ? 40 : -40;
        c.shields.fore = tick % 100;
        c.hull.hp = 10 + (tick % 80);
      }
      for (const t of [torpedoNear, torpedoFar]) t.heading.angle = (tick % 6) * 0.5;
      base.hull = 50 + (tick % 40);
      helm!.sendInput({ impulse: 0, rudder: (tick % 21) - 10, warp: 0 });
      await w.step(50, 10);
    }
    // Two seconds: 20 snapshots at 10 Hz.
    const n = (e: { id: number }) => seen.get(e.id) ?? 0;
    expect(n(near)).toBeGreaterThanOrEqual(19); // near: 10 Hz
    expect(n(mid)).toBeGreaterThanOrEqual(3); // mid: 2 Hz
    expect(n(mid)).toBeLessThanOrEqual(5);
    expect(n(far)).toBeGreaterThanOrEqual(1); // far: 1 Hz
    expect(n(far)).toBeLessThanOrEqual(3);
    expect(weapons!.entities.has(out.id)).toBe(false); // beyond 50,000: out of range
    expect(n(torpedoNear)).toBeGreaterThanOrEqual(19); // torpedoes within 5,000: every snapshot
    expect(weapons!.entities.has(torpedoFar.id)).toBe(false); // and not beyond
    expect(n(base.body)).toBeGreaterThanOrEqual(3); // bases: 2 Hz, to everyone
    expect(n(base.body)).toBeLessThanOrEqual(5);
    expect(n(ship.bridge)).toBeGreaterThanOrEqual(19); // own ship's orders: 10 Hz
    expect(n(ship.systems)).toBeGreaterThanOrEqual(9); // systems: 5 Hz
    expect(n(ship.systems)).toBeLessThanOrEqual(11);

    // Fields by tier: a mid contact carries position, heading and shields, never its hull or tag.
    const m = weapons!.entities.get(mid.id);
    expect(m?.typeName === 'ship' && m.has('shields', 'fore') && !m.has('hull', 'hp') && !m.has('tag', 'name')).toBe(true);
    const f = weapons!.entities.get(far.id);
    expect(f?.typeName === 'ship' && f.has('position', 'x') && !f.has('shields', 'fore')).toBe(true);

    // Crew-only state stays with the crew: ship 2's helm never holds ship 1's.
    for (const e of [ship.bridge, ship.systems, ship.tubes]) {
      expect(weapons!.entities.has(e.id)).toBe(true);
      expect(stranger.entities.has(e.id)).toBe(false);
    }
    expect(stranger.entities.has(room.state.crews[1]!.systems.id)).toBe(true);
  });

  it('sends the tubes when they change, not on every snapshot', async () => {
    const { w, clients, ship } = await crewed(2);
    const weapons = clients[1]!;
    await w.step(500);
    const seen = countRecords(weapons);
    await w.step(2000);
    expect(seen.get(ship.tubes.id) ?? 0).toBe(0);
    const loading = weapons.sendCommand('weapons', 'load', { tube: 0, kind: 'homing' });
    await w.step(6000);
    await loading;
    // Loading, then loaded: two changes in six seconds.
    expect(seen.get(ship.tubes.id)).toBe(2);
    expect(weapons.entities.get(ship.tubes.id)?.state).toMatchObject({ tube0: { state: 'loaded', kind: 'homing' }, stock: { homing: 11 } });
  });

  it("predicts the helm's ship exactly as the server flies it, while weapons sees it move", async () => {
    const { w, clients, ship } = await crewed(2);
    const [helm, weapons] = clients;
    const predictor = helm!.predict({ type: 'ship', step: helmStep });
    /** Where weapons draws the ship: its interpolated position. */
    const seen = () => {
      weapons!.interpolate();
      const e = weapons!.entities.get(ship.id);
      return e?.typeName === 'ship' ? { x: e.render.position.x, y: e.render.position.y } : { x: Number.NaN, y: Number.NaN };
    };
    await w.step(500);
    const start = seen();
    const x0 = ship.ship.position.x;
    for (let tick = 0; tick < 80; tick++) {
      helm!.sendInput({ impulse: 100, rudder: Math.round(Math.sin(tick / 10) * 10), warp: tick > 40 ? 1 : 0 });
      await w.step(50, 10);
    }
    // Every input applied and acknowledged, and no more than the helm's grace since the last: the
    // server has not moved the ship without an input yet.
    await w.step(100);
    expect(helm!.ackedInput).toBe(80);
    // The server's ship went a long way; the helm's prediction never had to be corrected.
    expect(Math.abs(ship.ship.position.x - x0)).toBeGreaterThan(1_000);
    expect(predictor.stats.corrections).toBe(0);
    expect(predictor.state?.position).toEqual({ x: ship.ship.position.x, y: ship.ship.position.y });
    const end = seen();
    expect(Math.hypot(end.x - start.x, end.y - start.y)).toBeGreaterThan(1_000);
  });

  it('keeps each console to its own controls, with refusals that say why', async () => {
    const { w, clients, ship } = await crewed(6);
    const [helm, weapons] = clients;
    const refusal = (p: Promise<void>) => p.then(() => undefined, (e: { code: number; message: string }) => e);
    const fromHelm = refusal(helm!.sendCommand('weapons', 'fire', { tube: 0 }));
    const empty = refusal(weapons!.sendCommand('weapons', 'fire', { tube: 0 }));
    const fromWeapons = refusal(weapons!.sendCommand('engineering', 'coolant', { system: 'beams', units: 8 }));
    await w.step(200);
    expect(await fromHelm).toMatchObject({ code: ErrorCode.COMMAND_REJECTED, message: 'only the weapons console can do that (you are at helm)' });
    expect(await empty).toMatchObject({ message: 'tube 0 is empty: load it first' });
    expect(await fromWeapons).toMatchObject({ message: 'only the engineering console can do that (you are at weapons)' });
    // Only the helm's input flies the ship.
    const x0 = ship.ship.position.x;
    for (let tick = 0; tick < 20; tick++) {
      weapons!.sendInput({ impulse: 100, rudder: 0, warp: 0 });
      await w.step(50, 10);
    }
    expect(ship.ship.position.x).toBe(x0);
  });

  it('flies on without its helm: straight on while the helm is away, home under autopilot once the seat is released', async () => {
    const { w, clients, ship } = await crewed(1, { reconnectWindowMs: 2_000 });
    const helm = clients[0]!;
    ship.ship.position.x += 20_000;
    for (let tick = 0; tick < 30; tick++) {
      helm.sendInput({ impulse: 100, rudder: 0, warp: 0 });
      await w.step(50, 10);
    }
    const moving = ship.ship.motion.speed;
    expect(moving).toBeGreaterThan(300);
    helm.disconnect();
    await w.step(1_000);
    expect(ship.helm?.connected).toBe(false);
    expect(ship.ship.motion.speed).toBeGreaterThanOrEqual(moving);
    await w.step(2_000);
    // Released: nobody at the helm, and the autopilot turns for home.
    expect(ship.helm).toBeUndefined();
    const away = Math.hypot(ship.ship.position.x - ship.home.x, ship.ship.position.y - ship.home.y);
    await w.step(20_000);
    expect(Math.hypot(ship.ship.position.x - ship.home.x, ship.ship.position.y - ship.home.y)).toBeLessThan(away);
  });
});

describe('bridge session', () => {
  it('seats a crew in the lobby, starts, flies the helm by prediction, and ends with results for everyone', async () => {
    let room: BridgeRoom | undefined;
    const w = await world(20, bridgeRoom({ random: seededRandom(9), observe: (r) => (room = r) }), bridge);
    const ada = await w.join('ada');
    const bob = await w.join('bob');
    await w.step(100);
    const requests = [ada.session.setOptions({ scenario: 'training', difficulty: 1, ships: 1 }), ada.session.claim(0, 'helm'), bob.session.claim(0, 'weapons')];
    await w.step(100);
    await Promise.all(requests);
    const ready = [ada.session.setReady(true), bob.session.setReady(true)];
    await w.step(100);
    await Promise.all(ready);
    const start = ada.session.start();
    await w.step(200);
    await start;
    expect(bob.session.state).toBe('running');

    // The helm took its seat after joining: it plays the ship from the first snapshot that says so.
    const ship = room!.state.crews[0]!;
    expect(ada.entityId).toBe(ship.id);
    const predictor = ada.predict({ type: 'ship', step: helmStep });
    const x0 = ship.ship.position.x;
    for (let tick = 0; tick < 40; tick++) {
      ada.sendInput({ impulse: 100, rudder: 2, warp: 0 });
      await w.step(50, 10);
    }
    await w.step(100);
    expect(predictor.stats.corrections).toBe(0);
    expect(predictor.state?.position).toEqual({ x: ship.ship.position.x, y: ship.ship.position.y });
    const seen = bob.entities.get(ship.id);
    expect(seen?.typeName === 'ship' && Math.abs(seen.state.position.x - x0) > 200).toBe(true);

    // Only the host calls the mission off; then everyone has the results, ship by ship.
    const load = bob.sendCommand('weapons', 'load', { tube: 0, kind: 'nuke' });
    const refused = bob.sendCommand('mission', 'end', {}).then(() => 'accepted', (e: Error) => e.message);
    await w.step(200);
    expect(await refused).toBe('only the host can call the mission off');
    await load;
    const ended = ada.sendCommand('mission', 'end', {});
    await w.step(200);
    await ended;
    for (const c of [ada, bob]) {
      expect(c.session.state).toBe('results');
      expect(c.session.results?.session.victory).toBe(false);
      expect(c.session.results?.groups.map((g) => g.name)).toEqual(['Artemis']);
    }
    expect(ada.session.results?.members.map((m) => [m.name, m.stats.actions])).toEqual([
      ['ada', 0],
      ['bob', 1],
    ]);
  });
});
