/**
 * The arena's rules, enforced by the server: speed and bounds, fire cooldown, hits and
 * respawns, and wall placement checks. SDK clients on a manual clock.
 */
import { arena, BULLET_DAMAGE, CELL, MAP_W, MAX_HP, SHIP_SPEED, WALL_COST, WALLS_PER_PLAYER, type Arena } from '@tickwire/arena/protocol';
import { arenaRoom } from '@tickwire/arena/room';
import { ErrorCode } from '@tickwire/protocol';
import type { Entity, Room } from '@tickwire/server';
import { describe, expect, it } from 'vitest';
import { world } from './world.js';

async function setup() {
  const w = await world(20, arenaRoom({ random: () => 0.5, reconnectWindowMs: 0 }), arena);
  const a = await w.join('ada');
  const b = await w.join('bob');
  await w.step(200);
  const room = w.server.rooms.get('r') as unknown as Room<Arena>;
  const ship = (id: number) => room.entities.get(id) as Entity<Arena, 'ship'>;
  return { w, a, b, room, ship };
}

describe('arena rules', () => {
  it('moves ships at the server speed, whatever the client sends, and keeps them on the map', async () => {
    const { w, a, ship } = await setup();
    const me = ship(a.entityId);
    me.position.x = 100;
    const x0 = me.position.x;
    for (let i = 0; i < 20; i++) {
      a.sendInput({ dx: 1, dy: 0, aim: 0 });
      await w.step(50);
    }
    // 20 ticks at 200 units/s is 200 units (one tick of slack for the first input's arrival).
    expect(me.position.x - x0).toBeGreaterThan(SHIP_SPEED * 0.9 - SHIP_SPEED / 20);
    expect(me.position.x - x0).toBeLessThanOrEqual(SHIP_SPEED * 1.0 + 1e-9);
    me.position.x = MAP_W - 20;
    for (let i = 0; i < 10; i++) {
      a.sendInput({ dx: 1, dy: 0, aim: 0 });
      await w.step(50);
    }
    expect(me.position.x).toBeLessThanOrEqual(MAP_W - 14);
  });

  it('fires bullets that hit, cost health, and respawn a ship at zero', async () => {
    const { w, a, b, ship } = await setup();
    const shooter = ship(a.entityId);
    const target = ship(b.entityId);
    shooter.position.x = 200;
    shooter.position.y = 400;
    target.position.x = 320;
    target.position.y = 400;
    const hits: unknown[] = [];
    b.on('event', (e) => hits.push(e));
    // Let the new positions reach the clients and the lag-compensation history first.
    await w.step(300);
    const first = a.sendCommand('combat', 'fire', { angle: 0 });
    await w.step(400);
    await first;
    expect(target.health.hp).toBe(MAX_HP - BULLET_DAMAGE);
    expect(hits).toContainEqual({ name: 'hit', payload: { target: b.entityId, by: a.entityId, damage: BULLET_DAMAGE } });
    target.health.hp = BULLET_DAMAGE;
    target.position.x = 320;
    target.position.y = 400;
    await w.step(300);
    const fire = a.sendCommand('combat', 'fire', { angle: 0 });
    await w.step(400);
    await fire;
    expect(target.health.hp).toBe(MAX_HP);
    expect(shooter.pilot.score).toBe(1);
    expect(hits.some((e) => (e as { name: string }).name === 'destroyed')).toBe(true);
  });

  it('refuses to fire faster than the cooldown', async () => {
    const { w, a } = await setup();
    const outcome = (p: Promise<void>) => p.then(() => 'accepted', (e: unknown) => e);
    const first = outcome(a.sendCommand('combat', 'fire', { angle: 0 }));
    const second = outcome(a.sendCommand('combat', 'fire', { angle: 0 }));
    await w.step(200);
    expect(await first).toBe('accepted');
    expect(await second).toMatchObject({ code: ErrorCode.COMMAND_REJECTED, message: 'weapon cooling down' });
  });

  it('validates walls: in range, not on a wall or a ship, at most the cap per player', async () => {
    const { w, a, b, ship, room } = await setup();
    const me = ship(a.entityId);
    me.position.x = 300;
    me.position.y = 300;
    me.pilot.resources = 5;
    const other = ship(b.entityId);
    other.position.x = 900;
    other.position.y = 700;
    await w.step(100);
    const cell = (x: number, y: number) => ({ cx: Math.floor(x / CELL), cy: Math.floor(y / CELL) });
    const build = async (c: { cx: number; cy: number }) => {
      const p = a.sendCommand('build', 'wall', c).then(
        () => 'ok',
        (e: Error) => e.message,
      );
      await w.step(100);
      return p;
    };
    expect(await build(cell(380, 300))).toBe(`a wall costs ${WALL_COST} resources; you have 5: pick up crates`);
    me.pilot.resources = 999;
    expect(await build(cell(380, 300))).toBe('ok');
    expect(me.pilot.resources).toBe(999 - WALL_COST);
    expect(await build(cell(380, 300))).toBe('there is a wall there already');
    expect(await build(cell(900, 300))).toBe('out of building range');
    expect(await build(cell(300, 300))).toBe('a ship is in the way');
    const spots = [-2, -1, 1, 2].flatMap((dx) => [-2, -1, 1, 2].map((dy) => ({ cx: 7 + dx, cy: 7 + dy })));
    const results = [];
    for (const s of spots) results.push(await build(s));
    expect(results.filter((r) => r === 'ok').length).toBe(WALLS_PER_PLAYER - 1);
    expect(results).toContain(`you have built the most walls allowed (${WALLS_PER_PLAYER})`);
    // Walls block movement.
    const walls = [...room.entities.ofType('wall')].length;
    expect(walls).toBe(WALLS_PER_PLAYER);
    await w.step(100);
    expect([...a.entities.values()].filter((e) => e.typeName === 'wall').length).toBe(WALLS_PER_PLAYER);
  });
});
