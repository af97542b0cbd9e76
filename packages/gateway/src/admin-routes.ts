/**
 * The cluster's admin API, behind `Authorization: Bearer <TICKWIRE_ADMIN_TOKEN>`, and the admin
 * page that uses it (served at /admin; the page holds no data and asks for the token). The
 * gateway gathers what each process says about itself and forwards each action to the process
 * that can carry it out, with the same admin token (every process of a deployment has it):
 *
 *   GET  /api/admin/cluster                  processes (record, health, rooms with players, load samples), sessions
 *   GET  /api/admin/rooms/:code              the room's entities and players, from its process
 *   POST /api/admin/rooms/:code/kick         { userId }
 *   POST /api/admin/rooms/:code/close
 *   POST /api/admin/processes/:id/drain      { deadlineMs? }
 *
 * Without an admin token the whole of it answers 404, as if it were not there.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { ErrorCode, ROOM_CODE_PATTERN } from '@tickwire/protocol';
import type { ProcessRecord, Route } from '@tickwire/server';
import { json } from '@tickwire/server/internal';
import { codeParam, jsonBody, moving, type GatewayContext } from './context.js';
import type { Monitor } from './monitor.js';
import { callProcess, failure, isRecord, relayError, type Answer } from './process-calls.js';
import { clusterSessions } from './session-routes.js';

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

/** Whether a request carries the admin token (compared in constant time). */
export function isAdmin(request: Request, token: string): boolean {
  const m = /^Bearer[ ]+(\S+)[ ]*$/i.exec(request.headers.get('authorization') ?? '');
  return m !== null && m[1]!.length <= 4096 && timingSafeEqual(digest(m[1]!), digest(token));
}

/** A player in a room, as a process lists it. */
interface PlayerRow {
  id: number;
  userId: string;
  name: string;
  connected: boolean;
}

/** A room as a process's admin API lists it, field by field. */
interface RoomRow {
  code: string;
  type: string | null;
  tick: number;
  tickRate: number;
  entities: number;
  session: { name: string; state: string } | null;
  players: PlayerRow[];
}

const count = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : 0);
const text = (v: unknown, max: number): string => (typeof v === 'string' ? v.slice(0, max) : '');

function playerRows(v: unknown): PlayerRow[] {
  if (!Array.isArray(v)) return [];
  return v.flatMap((p) => (isRecord(p) && typeof p.userId === 'string' ? [{ id: count(p.id), userId: text(p.userId, 256), name: text(p.name, 64), connected: p.connected === true }] : []));
}

function roomRows(body: unknown): RoomRow[] | undefined {
  if (!isRecord(body) || !Array.isArray(body.rooms)) return undefined;
  return body.rooms.flatMap((r) => {
    if (!isRecord(r) || typeof r.code !== 'string' || !ROOM_CODE_PATTERN.test(r.code)) return [];
    const session = isRecord(r.session) ? { name: text(r.session.name, 128), state: text(r.session.state, 16) } : null;
    return [{ code: r.code, type: typeof r.type === 'string' ? text(r.type, 64) : null, tick: count(r.tick), tickRate: count(r.tickRate), entities: count(r.entities), session, players: playerRows(r.players) }];
  });
}

/** What a process's /api/health says, field by field; or why it could not be read. */
function health(answer: Answer): { status: string; uptimeS: number; rooms: number; clients: number } | { error: string } {
  if (!answer.reached) return { error: answer.reason };
  const b = answer.body;
  if (answer.status !== 200 || !isRecord(b) || typeof b.status !== 'string') return { error: `answered ${answer.status}` };
  return { status: b.status.slice(0, 32), uptimeS: count(b.uptime_s), rooms: count(b.rooms), clients: count(b.clients) };
}

export function adminRoutes(ctx: GatewayContext, adminToken: string, monitor: Monitor, processes: () => Promise<ProcessRecord[]>): Route[] {
  const auth = { authorization: `Bearer ${adminToken}` };
  const refuse = (): Response => {
    const res = failure(401, ErrorCode.AUTH_FAILED, 'the admin API needs Authorization: Bearer <TICKWIRE_ADMIN_TOKEN>');
    res.headers.set('www-authenticate', 'Bearer');
    return res;
  };
  /** Wraps a handler so that it runs only for the admin. */
  const admin =
    (handler: Route['handler']): Route['handler'] =>
    (c) =>
      isAdmin(c.request, adminToken) ? handler(c) : refuse();

  const cluster = async () => {
    const live = await processes();
    const ids = new Set(live.map((p) => p.id));
    const [details, sessions] = await Promise.all([
      Promise.all(
        live.map(async (p) => {
          const [h, r] = await Promise.all([callProcess(ctx.calls, p.httpUrl, 'GET', '/api/health'), callProcess(ctx.calls, p.httpUrl, 'GET', '/api/admin/rooms', { headers: auth })]);
          return { ...p, health: health(h), rooms: (r.reached && r.status === 200 && roomRows(r.body)) || [], samples: monitor.samples(p.id) };
        }),
      ),
      clusterSessions(ctx, live),
    ]);
    return { processes: details, gone: monitor.gone(ids).map((id) => ({ id, samples: monitor.samples(id) })), ...sessions };
  };

  /** Forwards an admin call about room `code` to the process that runs it. */
  const toRoom = async (params: Record<string, string>, method: 'GET' | 'POST', suffix: string, body?: string): Promise<Response> => {
    const code = codeParam(params, 'code', 'room code');
    if (code instanceof Response) return code;
    const at = await ctx.placement.locate(code);
    if (at.kind === 'moving' || at.kind === 'orphan') return moving(code, at.claim.owner);
    if (at.kind === 'free') return failure(404, ErrorCode.ROOM_NOT_FOUND, `no process runs room '${code}'`);
    const answer = await callProcess(ctx.calls, at.process.httpUrl, method, `/api/admin/rooms/${encodeURIComponent(code)}${suffix}`, { headers: auth, ...(body === undefined ? {} : { body }) });
    if (!answer.reached) return failure(503, ErrorCode.INTERNAL, `process '${at.process.id}' did not answer: ${answer.reason.slice(0, 200)}`);
    if (answer.status < 200 || answer.status > 299) return relayError(answer.status, answer.body);
    return json(answer.status, isRecord(answer.body) ? { ...answer.body, process: at.process.id } : { ok: true, process: at.process.id });
  };

  return [
    { method: 'GET', path: '/api/admin/cluster', handler: admin(cluster) },
    { method: 'GET', path: /^\/api\/admin\/rooms\/(?<code>[^/]+)$/, handler: admin(({ params }) => toRoom(params, 'GET', '')) },
    {
      method: 'POST',
      path: /^\/api\/admin\/rooms\/(?<code>[^/]+)\/kick$/,
      handler: admin(async ({ request, params }) => {
        const body = await jsonBody(request);
        if (body instanceof Response) return body;
        const userId = body.value.userId;
        if (typeof userId !== 'string' || userId === '' || userId.length > 256) return failure(400, ErrorCode.VALUE_OUT_OF_RANGE, 'send { "userId": "..." } (1-256 characters)');
        return toRoom(params, 'POST', '/kick', JSON.stringify({ userId }));
      }),
    },
    { method: 'POST', path: /^\/api\/admin\/rooms\/(?<code>[^/]+)\/close$/, handler: admin(({ params }) => toRoom(params, 'POST', '/close', '{}')) },
    {
      method: 'POST',
      path: /^\/api\/admin\/processes\/(?<id>[^/]+)\/drain$/,
      handler: admin(async ({ request, params }) => {
        const body = await jsonBody(request);
        if (body instanceof Response) return body;
        const deadline = body.value.deadlineMs;
        if (deadline !== undefined && !(typeof deadline === 'number' && Number.isSafeInteger(deadline) && deadline >= 0 && deadline <= 86_400_000)) {
          return failure(400, ErrorCode.VALUE_OUT_OF_RANGE, 'deadlineMs must be a whole number of ms from 0 to 86400000');
        }
        let id: string;
        try {
          id = decodeURIComponent(params.id ?? '');
        } catch {
          return failure(400, ErrorCode.VALUE_OUT_OF_RANGE, 'the process id in the path is not valid percent-encoding');
        }
        const process = (await processes()).find((p) => p.id === id);
        if (!process) return failure(404, ErrorCode.ROOM_NOT_FOUND, `no live process '${id.slice(0, 128)}'`);
        const answer = await callProcess(ctx.calls, process.httpUrl, 'POST', '/api/admin/drain', { headers: auth, body: JSON.stringify(deadline === undefined ? {} : { deadlineMs: deadline }) });
        if (!answer.reached) return failure(503, ErrorCode.INTERNAL, `process '${process.id}' did not answer: ${answer.reason.slice(0, 200)}`);
        if (answer.status < 200 || answer.status > 299) return relayError(answer.status, answer.body);
        return json(200, isRecord(answer.body) ? { ...answer.body, process: process.id } : { ok: true, process: process.id });
      }),
    },
  ];
}
