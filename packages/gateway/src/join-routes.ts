/**
 * Joining through the gateway: the player says which room (or which type of new room), the
 * gateway says where to connect and signs a ticket for that process. Nothing of the game passes
 * here; the player then talks to the process directly.
 *
 *   POST /api/join          { room } | { create: type }, name?  -> { room, url, ticket, process }
 *   GET  /api/where/:code   ?name=                               -> { room, url, ticket, process }
 *
 * Both need the player's bearer token (the ticket names the user). `where` is what a client asks
 * after losing its connection: the room may have moved to another process since.
 *
 * A room nobody runs goes to one process picked by rendezvous hashing of its code over the
 * processes that can take rooms (the hash the processes use to share out orphaned rooms), so
 * two players joining a new code at once land on the same process. An orphan (its process died
 * or drained) comes with its room type in the ticket, and that process opens it from its
 * checkpoint if it has not taken it over yet; any other code is opened there if its storage
 * holds it or its type creates rooms on join, and refused otherwise (ROOM_NOT_FOUND). A new room
 * of a named type goes to the least-loaded process, under a code the gateway picks.
 */
import { preferred, type Identity, type Route } from '@tickwire/server';
import { codeParam, direct, displayName, jsonBody, moving, noProcess, roomCode, type Direction, type GatewayContext } from './context.js';
import { failure } from './process-calls.js';
import { ErrorCode } from '@tickwire/protocol';

/** Where `identity` joins the room `code`: its owner, or the process that will open it. */
export async function toRoom(ctx: GatewayContext, identity: Identity, code: string, name: string): Promise<Direction | Response> {
  const at = await ctx.placement.locate(code);
  if (at.kind === 'owned') {
    ctx.placement.placedClient(at.process);
    return direct(ctx, identity, at.process, code, name);
  }
  if (at.kind === 'moving') return moving(code, at.claim.owner);
  // A room nobody runs: the process the cluster's takeover prefers, among those that can take it.
  const candidates = await ctx.placement.candidates();
  const id = preferred(code, candidates.map((p) => p.id));
  const target = candidates.find((p) => p.id === id);
  if (!target) return noProcess();
  ctx.placement.placedRoom(target);
  return direct(ctx, identity, target, code, name, at.kind === 'orphan' ? at.claim.type : undefined);
}

/** A new room of `type` on the least-loaded process, under a fresh code. */
async function toNewRoom(ctx: GatewayContext, identity: Identity, type: string, name: string): Promise<Direction | Response> {
  for (let tries = 0; tries < 3; tries++) {
    const code = ctx.newCode();
    // A code in use (about one chance in a billion) is not handed out twice.
    if ((await ctx.placement.locate(code)).kind !== 'free') continue;
    const target = await ctx.placement.choose();
    if (!target) return noProcess();
    ctx.placement.placedRoom(target);
    return direct(ctx, identity, target, code, name, type);
  }
  return failure(503, ErrorCode.INTERNAL, 'could not find a free room code: try again');
}

export function joinRoutes(ctx: GatewayContext): Route[] {
  return [
    {
      method: 'POST',
      path: '/api/join',
      handler: async ({ request }) => {
        const identity = await ctx.authenticateRequest(request);
        const body = await jsonBody(request);
        if (body instanceof Response) return body;
        const { room, create } = body.value;
        const name = displayName(body.value.name);
        if (name instanceof Response) return name;
        if ((room === undefined) === (create === undefined)) {
          return failure(400, ErrorCode.INVALID_ROOM_CODE, 'send exactly one of { "room": code } (join a room) and { "create": type } (a new room of that type)');
        }
        if (create !== undefined) {
          const type = roomCode(create, 'create (a room type)');
          return type instanceof Response ? type : toNewRoom(ctx, identity, type, name);
        }
        const code = roomCode(room, 'room');
        return code instanceof Response ? code : toRoom(ctx, identity, code, name);
      },
    },
    {
      method: 'GET',
      path: /^\/api\/where\/(?<code>[^/]+)$/,
      handler: async ({ request, params, url }) => {
        const identity = await ctx.authenticateRequest(request);
        const code = codeParam(params, 'code', 'room code');
        if (code instanceof Response) return code;
        const name = displayName(url.searchParams.get('name') ?? undefined);
        return name instanceof Response ? name : toRoom(ctx, identity, code, name);
      },
    },
  ];
}
