/**
 * Who sits where: a player's post (ship and console), what it lets them see (their ship's crew
 * channel) and play (the helm plays the ship: it is the helm's entity, which gives it the ship's
 * exact state in every snapshot to predict from), and the checks that keep each console to its
 * own controls. Seats themselves are the session's (or, in a room that is not a session, handed
 * out in join order); this module is what a seat means to the game.
 */
import { reject } from '@tickwire/server';
import { CONSOLES, type Console } from '../shared/constants.js';
import { crewChannel, type BridgePlayer, type BridgeRoom, type CrewShip } from './state.js';

/** Gives `player` a post (or none): its crew channel, and the ship as its entity at the helm. */
export function seat(room: BridgeRoom, player: BridgePlayer, post: BridgePlayer['data']['post']): void {
  const data = player.data;
  for (const crew of room.state.crews) if (crew.helm === player) crew.helm = undefined;
  data.post = post;
  data.channels.length = 0;
  data.view = undefined;
  player.entity = undefined;
  if (!post) return;
  const crew = room.state.crews[post.ship];
  data.channels.push(crewChannel(post.ship));
  data.view = crew?.ship.position;
  if (crew && post.console === 'helm') {
    crew.helm = player;
    player.entity = crew.ship;
  }
}

/** Seats every player again (the ships were just built, or rebuilt for a new round). */
export function reseatAll(room: BridgeRoom): void {
  for (const p of room.clients.values()) seat(room, p, p.data.post);
}

/** The next post in join order, for a room that is not a session: ship 1's six consoles first, then ship 2's... */
export function postInJoinOrder(room: BridgeRoom): BridgePlayer['data']['post'] {
  const ships = room.state.crews.length;
  if (ships === 0) return undefined;
  const k = room.state.joined++;
  return { ship: Math.floor(k / CONSOLES.length) % ships, console: CONSOLES[k % CONSOLES.length]! };
}

/** The player ship whose entity is `id`, if it is one. */
export function crewOf(room: BridgeRoom, id: number): CrewShip | undefined {
  for (const c of room.state.crews) if (c.id === id) return c;
  return undefined;
}

/** The ship a player is on, if seated and the ship exists. */
export function shipOf(room: BridgeRoom, player: BridgePlayer): CrewShip | undefined {
  const post = player.data.post;
  return post ? room.state.crews[post.ship] : undefined;
}

/**
 * The player's ship, for a command only `console` may give; refuses the command otherwise (and
 * while the ship is destroyed, waiting to come back).
 */
export function at(room: BridgeRoom, player: BridgePlayer, console: Console): CrewShip {
  const post = player.data.post;
  if (post?.console !== console) reject(`only the ${console} console can do that${post ? ` (you are at ${post.console})` : ' (take a seat first)'}`);
  const crew = room.state.crews[post.ship];
  if (!crew) reject('your ship is not in this round');
  if (crew.respawnAt !== 0) reject('your ship was destroyed: it is on its way back to its base');
  player.data.actions++;
  return crew;
}

/** An event target: the crew of player ship `index`. */
export function onShip(index: number): (player: BridgePlayer) => boolean {
  return (p) => p.data.post?.ship === index;
}
