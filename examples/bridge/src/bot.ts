/**
 * The bridge's bot module for `tickwire bots`: headless crew members that fill a session. The
 * first bot creates the session (a siege at difficulty 11 on eight ships: about 150 entities in
 * play) and is its host; bot N takes console N % 6 of ship N / 6 % 8, so 48 bots crew every
 * console of every ship. Once seated they mark themselves ready and the host starts; later
 * joiners take their seats in the running round. Then each plays its console: the helm flies
 * (one input a beat), weapons targets the nearest enemy and keeps its tubes loaded and firing,
 * engineering shifts power, science scans, comms hails, the captain calls red alerts.
 *
 *   npx tickwire bots --bot examples/bridge/dist/bot.js --url ws://127.0.0.1:8080 --clients 48 --duration 60
 */
import type { ClientRoom } from '@tickwire/client';
import { defineBot, type Bot } from 'tickwire';
import { CONSOLES, MAX_SHIPS, ORDNANCE, SYSTEMS, HAILS, type Console } from './shared/constants.js';
import { bridge, type Bridge } from './shared/protocol.js';

/** What the bot sees of the sector (bots decode snapshots). */
function contacts(room: ClientRoom<Bridge>, side?: 'enemy'): { id: number; x: number; y: number }[] {
  const out: { id: number; x: number; y: number }[] = [];
  for (const e of room.entities.values()) {
    if (e.typeName !== 'ship' || (side && (!e.has('tag', 'side') || e.state.tag.side !== side))) continue;
    out.push({ id: e.id, x: e.state.position.x, y: e.state.position.y });
  }
  return out;
}

/** Our own ship as this bot sees it (player ship `ship`). */
function ownShip(room: ClientRoom<Bridge>, ship: number): { id: number; x: number; y: number } | undefined {
  for (const e of room.entities.values()) if (e.typeName === 'ship' && e.state.tag.ship === ship + 1) return { id: e.id, x: e.state.position.x, y: e.state.position.y };
  return undefined;
}

/** What a seated bot does each beat at its console. */
type Play = (now: number) => void;

function player(bot: Bot<Bridge>, ship: number, console: Console, start: number): Play {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(bot.random() * list.length)]!;
  let next = start + bot.random() * 2000;
  const every = (now: number, ms: number) => {
    if (now < next) return false;
    next = now + ms * (0.5 + bot.random());
    return true;
  };
  if (console === 'helm') {
    let impulse = 60;
    let rudder = 0;
    let warp = 0;
    return (now) => {
      if (every(now, 3000)) {
        impulse = 40 + Math.floor(bot.random() * 7) * 10;
        rudder = Math.floor(bot.random() * 9) - 4;
        warp = bot.random() < 0.15 ? 1 : 0;
      }
      bot.sendInput({ impulse, rudder, warp });
    };
  }
  const orders: Record<Exclude<Console, 'helm'>, () => void> = {
    weapons: () => {
      const me = ownShip(bot.room, ship);
      const enemies = contacts(bot.room, 'enemy');
      if (!me || enemies.length === 0) return;
      const nearest = enemies.reduce((a, b) => ((a.x - me.x) ** 2 + (a.y - me.y) ** 2 < (b.x - me.x) ** 2 + (b.y - me.y) ** 2 ? a : b));
      bot.sendCommand('weapons', 'target', { id: nearest.id });
      const tube = Math.floor(bot.random() * 4);
      if (bot.random() < 0.5) bot.sendCommand('weapons', 'fire', { tube });
      else bot.sendCommand('weapons', 'load', { tube, kind: pick(ORDNANCE) });
    },
    engineering: () => bot.sendCommand('engineering', 'power', { system: pick(SYSTEMS), level: 80 + Math.floor(bot.random() * 8) * 10 }),
    science: () => {
      const all = contacts(bot.room);
      if (all.length > 0) bot.sendCommand('science', 'scan', { id: pick(all).id });
    },
    comms: () => {
      const all = contacts(bot.room);
      if (all.length > 0) bot.sendCommand('comms', 'hail', { id: pick(all).id, message: pick(HAILS) });
    },
    captain: () => bot.sendCommand('captain', 'alert', { red: bot.random() < 0.3 }),
  };
  const order = orders[console];
  return (now) => {
    if (every(now, console === 'weapons' ? 1500 : 4000)) order();
  };
}

export default defineBot({
  protocol: bridge,
  create: 'bridge',
  decode: true,
  spawn(bot, now) {
    const session = bot.room.session;
    const ship = Math.floor(bot.index / CONSOLES.length) % MAX_SHIPS;
    const console = CONSOLES[bot.index % CONSOLES.length]!;
    const host = bot.index === 0;
    let asking = false;
    let retryAt = now;
    let play: Play | undefined;
    /** One session request at a time; a refusal (a seat not there yet) is tried again a second later. */
    const ask = (request: () => Promise<void>) => {
      asking = true;
      request().then(
        () => (asking = false),
        () => {
          asking = false;
          retryAt = bot.room.serverNow() + 1000;
        },
      );
    };
    return (now) => {
      if (session.state === undefined || asking || now < retryAt) {
        play?.(now);
        return;
      }
      const me = session.me;
      if (host && session.state === 'lobby' && session.options?.ships !== MAX_SHIPS) ask(() => session.setOptions({ scenario: 'siege', difficulty: 11, ships: MAX_SHIPS }));
      else if (session.state !== 'results' && (me?.seat?.group !== ship || me.seat.role !== console)) ask(() => session.claim(ship, console));
      else if (session.state === 'lobby' && !me?.ready) ask(() => session.setReady(true));
      else if (host && session.state === 'lobby') {
        ask(() => session.start());
        retryAt = now + 1000;
      } else if (session.state === 'running') {
        play ??= player(bot, ship, console, now);
        play(now);
      }
    };
  },
});
