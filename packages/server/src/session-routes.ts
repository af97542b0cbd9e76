/**
 * The sessions' HTTP API: list them, create one, look one up, join one with its password. What
 * changes state (create, join) takes the identity's bearer tokens, like every state-changing
 * endpoint; listing is open, so a lobby page can show sessions before anyone signs in.
 *
 *   GET  /api/sessions            { sessions: [summary] }
 *   POST /api/sessions            { type, name?, options?, password? } -> 201 summary
 *   GET  /api/sessions/:id        summary
 *   POST /api/sessions/:id/join   { password? } -> summary (the user may now join its room)
 *
 * Errors are `{ error, code, message }` with the stable codes of the protocol (WRONG_PASSWORD,
 * SESSION_STATE, ROOM_NOT_FOUND...). A password is checked against its scrypt hash off the game
 * loop, at most a few times a minute per user.
 */
import { ErrorCode, SESSION_LIMITS, TickwireError, errorCodeName, textProblem, type Clock, type SessionSummary } from '@tickwire/protocol';
import type { AddressBook } from './address-book.js';
import { json, type Route } from './http-routes.js';
import type { Identity } from './room-client.js';
import type { RoomManager } from './room-manager.js';
import { TokenBucket } from './limits.js';
import { readJsonObject } from './request-body.js';
import type { Session } from './session.js';
import { optionsFromJson } from './session-options.js';
import { MAX_PASSWORD_BYTES, hashPassword, verifyPassword } from './session-password.js';

/** What the routes need from the runtime. */
export interface SessionRoutesHost {
  readonly rooms: RoomManager;
  readonly clock: Clock;
  readonly addresses: AddressBook;
  authenticateRequest(request: Request): Promise<Identity>;
}

export function sessionSummary(session: Session): SessionSummary {
  return {
    id: session.id,
    name: session.name,
    type: session.type,
    state: session.state,
    round: session.round,
    players: session.connectedCount,
    members: session.size,
    seats: session.seatsTotal,
    seatsFree: session.seatsFree,
    password: session.passwordHash !== null,
  };
}

/** Wrong passwords a user may try per minute (scrypt makes each one slow as well). */
const PASSWORD_TRIES_PER_MINUTE = 5;
const utf8 = new TextEncoder();

function failure(status: number, code: ErrorCode, message: string): Response {
  return json(status, { error: errorCodeName(code), code, message });
}

/** The status an open room's refusal maps to. */
function statusOf(code: ErrorCode): number {
  if (code === ErrorCode.TOO_MANY_ROOMS) return 429;
  if (code === ErrorCode.INTERNAL || code === ErrorCode.ROOM_ELSEWHERE) return 503;
  return 400;
}

/** An optional text field of at most `maxBytes`, or why not. */
function text(value: unknown, what: string, maxBytes: number): string | undefined | Response {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || value === '' || utf8.encode(value).length > maxBytes) {
    return failure(400, ErrorCode.STRING_TOO_LONG, `${what} must be a string of 1-${maxBytes} bytes`);
  }
  return value;
}

export function sessionRoutes(host: SessionRoutesHost): Route[] {
  const tries = new Map<string, TokenBucket>();
  const mayTry = (userId: string): boolean => {
    const now = host.clock.now();
    if (tries.size > 10_000) tries.clear();
    let bucket = tries.get(userId);
    if (!bucket) tries.set(userId, (bucket = new TokenBucket(PASSWORD_TRIES_PER_MINUTE / 60, PASSWORD_TRIES_PER_MINUTE, now)));
    return bucket.take(now);
  };
  const find = (params: Record<string, string>): Session | Response => {
    let id: string;
    try {
      id = decodeURIComponent(params.id ?? '');
    } catch {
      return failure(400, ErrorCode.INVALID_ROOM_CODE, 'the session id in the path is not valid percent-encoding');
    }
    const session = host.rooms.get(id)?.session;
    return session ?? failure(404, ErrorCode.ROOM_NOT_FOUND, `no session '${id.slice(0, 64)}' is open here: list them with GET /api/sessions`);
  };

  const create = async (request: Request): Promise<Response> => {
    const identity = await host.authenticateRequest(request);
    const b = await readJsonObject(request);
    if (b instanceof Response) return b;
    const type = typeof b.type === 'string' ? b.type : '';
    const def = host.rooms.catalog.type(type);
    if (!def?.session || !def.protocol.session) {
      const types = host.rooms.catalog.typeNames.filter((n) => host.rooms.catalog.type(n)?.session);
      return failure(400, ErrorCode.INVALID_ROOM_CODE, `'${type.slice(0, 64)}' is not a session type here: create one of ${types.map((n) => `'${n}'`).join(', ') || '(none)'}`);
    }
    const name = text(b.name, 'name', SESSION_LIMITS.nameBytes);
    if (name instanceof Response) return name;
    const nameProblem = name === undefined ? undefined : textProblem(name, 'the session name');
    if (nameProblem) return failure(400, ErrorCode.INVALID_TEXT, nameProblem);
    const password = text(b.password, 'password', MAX_PASSWORD_BYTES);
    if (password instanceof Response) return password;
    const options = optionsFromJson(def.protocol.session.options, b.options);
    if (typeof options === 'string') return failure(400, ErrorCode.VALUE_OUT_OF_RANGE, options);
    if (!host.addresses.takeRoomCreation(`user:${identity.userId}`, host.clock.now())) {
      return failure(429, ErrorCode.TOO_MANY_ROOMS, 'you created too many sessions in the last minute: join one, or wait');
    }
    const passwordHash = password === undefined ? null : await hashPassword(password);
    const room = await host.rooms.open({ room: type, create: true, protocolHash: def.protocol.hash });
    if (room instanceof TickwireError) return failure(statusOf(room.code), room.code, room.message);
    const session = room.session!;
    const configured = session.configure({ type, name, creator: identity.userId, passwordHash, options });
    if (!configured.ok) {
      session.close('the session could not be set up');
      return failure(400, configured.code as ErrorCode, configured.message);
    }
    return json(201, sessionSummary(session));
  };

  const join = async (request: Request, params: Record<string, string>): Promise<Response> => {
    const identity = await host.authenticateRequest(request);
    const session = find(params);
    if (session instanceof Response) return session;
    if (session.state === 'closed') return failure(409, ErrorCode.SESSION_STATE, 'this session has closed: join or create another');
    const hash = session.passwordHash;
    if (hash !== null && !session.admitted.has(identity.userId)) {
      const b = await readJsonObject(request);
      if (b instanceof Response) return b;
      if (typeof b.password !== 'string' || utf8.encode(b.password).length > MAX_PASSWORD_BYTES) {
        return failure(403, ErrorCode.WRONG_PASSWORD, 'this session needs its password: send { "password": "..." }');
      }
      if (!mayTry(identity.userId)) return failure(429, ErrorCode.RATE_LIMITED, `more than ${PASSWORD_TRIES_PER_MINUTE} password tries a minute: wait before trying again`);
      if (!(await verifyPassword(b.password, hash))) return failure(403, ErrorCode.WRONG_PASSWORD, 'wrong password');
      session.admit(identity.userId);
    }
    return json(200, sessionSummary(session));
  };

  return [
    {
      method: 'GET',
      path: '/api/sessions',
      handler: () => ({ sessions: [...host.rooms.all()].flatMap((r) => (r.session && r.session.state !== 'closed' ? [sessionSummary(r.session)] : [])) }),
    },
    { method: 'POST', path: '/api/sessions', handler: ({ request }) => create(request) },
    {
      method: 'GET',
      path: /^\/api\/sessions\/(?<id>[^/]+)$/,
      handler: ({ params }) => {
        const session = find(params);
        return session instanceof Response ? session : sessionSummary(session);
      },
    },
    { method: 'POST', path: /^\/api\/sessions\/(?<id>[^/]+)\/join$/, handler: ({ request, params }) => join(request, params) },
  ];
}
