/**
 * The operator's HTTP API on a game process: look inside a room, kick a player, close a room,
 * drain the process. A cluster's gateway calls these for its admin page; curl works too.
 *
 *   GET  /api/admin/rooms                 { rooms: [room with players] }
 *   GET  /api/admin/rooms/:code           room with players and entities (their fields)
 *   POST /api/admin/rooms/:code/kick      { userId } -> { kicked: n }
 *   POST /api/admin/rooms/:code/close     -> { closed: code }
 *   POST /api/admin/drain                 { deadlineMs? } -> 202 { draining: true, deadlineMs }
 *
 * Every call needs `Authorization: Bearer <admin token>` (TICKWIRE_ADMIN_TOKEN), compared in
 * constant time. Without a configured token the endpoints do not exist (404), so a process is
 * never administrable by accident.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { ErrorCode } from '@tickwire/protocol';
import { json, type Route } from './http-routes.js';
import { readJsonObject } from './request-body.js';
import type { Room } from './room.js';
import type { RoomManager } from './room-manager.js';

/** What the admin routes need from the runtime. */
export interface AdminHost {
  readonly rooms: RoomManager;
  readonly processId: string;
  /** Starts draining (not awaited); the deadline is checked by the route. */
  drain(deadlineMs?: number): Promise<void>;
  readonly drainDeadlineMs: number;
}

/** Entities listed per room at most: a room of a million entities answers the first ones. */
export const ADMIN_MAX_ENTITIES = 5000;
const MAX_DRAIN_MS = 24 * 60 * 60_000;
const MAX_USER_ID = 256;

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

/** Whether the request carries the admin token (constant time in the token's content). */
export function adminAuthorized(request: Request, expected: Buffer): boolean {
  const header = request.headers.get('authorization') ?? '';
  const m = /^Bearer ([\x21-\x7e]{1,1024})$/.exec(header);
  return m !== null && timingSafeEqual(digest(m[1]!), expected);
}

function players(room: Room) {
  return [...room.clients.values()].map((c) => ({ id: c.id, userId: c.identity.userId, name: c.name, connected: c.connected, entity: c.entity?.id ?? null }));
}

function summary(room: Room) {
  return {
    code: room.code,
    epoch: room.claim?.epoch ?? null,
    type: room.claim?.type ?? null,
    tick: room.tick,
    tickRate: room.tickRate,
    entities: room.entities.size,
    session: room.session ? { name: room.session.name, state: room.session.state } : null,
    players: players(room),
  };
}

/** A room's entities with their fields, component by component (the first ADMIN_MAX_ENTITIES). */
function entities(room: Room) {
  const out: { id: number; type: string; fields: Record<string, Record<string, unknown>> }[] = [];
  for (const rec of room.entities.liveRecords()) {
    if (out.length >= ADMIN_MAX_ENTITIES) break;
    const fields: Record<string, Record<string, unknown>> = {};
    for (const c of rec.type.components) {
      const values: Record<string, unknown> = {};
      for (const f of c.fields) values[f.name] = rec.values[f.index];
      fields[c.name] = values;
    }
    out.push({ id: rec.id, type: rec.type.name, fields });
  }
  return out;
}

/** The admin routes, or none when no token is configured. */
export function adminRoutes(host: AdminHost, token: string | undefined): Route[] {
  if (!token) return [];
  if (!/^[\x21-\x7e]{16,1024}$/.test(token)) {
    throw new RangeError('TICKWIRE_ADMIN_TOKEN must be 16 to 1024 printable characters without spaces: use 32 random bytes in hex or base64');
  }
  const expected = digest(token);
  const denied = () => json(401, { error: 'UNAUTHORIZED', message: 'send Authorization: Bearer <TICKWIRE_ADMIN_TOKEN>' });
  const room = (params: Record<string, string>): Room | Response => {
    let code: string;
    try {
      code = decodeURIComponent(params.code ?? '');
    } catch {
      return json(400, { error: 'BAD_REQUEST', message: 'the room code in the path is not valid percent-encoding' });
    }
    return host.rooms.get(code) ?? json(404, { error: 'ROOM_NOT_FOUND', code: ErrorCode.ROOM_NOT_FOUND, message: `no room '${code.slice(0, 64)}' is open in process ${host.processId}` });
  };
  /** Wraps a handler with the token check. */
  const guarded =
    (handler: (request: Request, params: Record<string, string>) => unknown | Promise<unknown>) =>
    ({ request, params }: { request: Request; params: Record<string, string> }) =>
      adminAuthorized(request, expected) ? handler(request, params) : denied();
  const code = '(?<code>[^/]+)';
  return [
    { method: 'GET', path: '/api/admin/rooms', handler: guarded(() => ({ process: host.processId, rooms: [...host.rooms.all()].map(summary) })) },
    {
      method: 'GET',
      path: new RegExp(`^/api/admin/rooms/${code}$`),
      handler: guarded((_req, params) => {
        const r = room(params);
        return r instanceof Response ? r : { ...summary(r), entityList: entities(r), entitiesTruncated: r.entities.size > ADMIN_MAX_ENTITIES };
      }),
    },
    {
      method: 'POST',
      path: new RegExp(`^/api/admin/rooms/${code}/kick$`),
      handler: guarded(async (request, params) => {
        const r = room(params);
        if (r instanceof Response) return r;
        const body = await readJsonObject(request);
        if (body instanceof Response) return body;
        const userId = body.userId;
        if (typeof userId !== 'string' || userId.length === 0 || userId.length > MAX_USER_ID) {
          return json(400, { error: 'BAD_REQUEST', message: `send { "userId": "..." } (1 to ${MAX_USER_ID} characters)` });
        }
        const kicked = r.kick(userId, 'removed from the room by an administrator');
        return kicked > 0 ? { kicked } : json(404, { error: 'NOT_FOUND', message: `no player with user id '${userId.slice(0, 64)}' in room '${r.code}'` });
      }),
    },
    {
      method: 'POST',
      path: new RegExp(`^/api/admin/rooms/${code}/close$`),
      handler: guarded((_req, params) => {
        const r = room(params);
        if (r instanceof Response) return r;
        r.close('the room was closed by an administrator');
        return { closed: r.code };
      }),
    },
    {
      method: 'POST',
      path: '/api/admin/drain',
      handler: guarded(async (request) => {
        const body = await readJsonObject(request);
        if (body instanceof Response) return body;
        const deadlineMs = body.deadlineMs ?? host.drainDeadlineMs;
        if (typeof deadlineMs !== 'number' || !Number.isFinite(deadlineMs) || deadlineMs < 0 || deadlineMs > MAX_DRAIN_MS) {
          return json(400, { error: 'BAD_REQUEST', message: `deadlineMs must be a number of ms from 0 to ${MAX_DRAIN_MS}` });
        }
        void host.drain(deadlineMs);
        return json(202, { process: host.processId, draining: true, deadlineMs });
      }),
    },
  ];
}
