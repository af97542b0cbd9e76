/**
 * Join tickets: a short-lived signed reservation that says "this user may join this room on this
 * process". The gateway authenticates a player, decides where the room lives and issues a ticket;
 * the client sends it as HELLO's token to that process, which verifies it without asking anyone.
 * The gateway never carries game traffic, and a process never trusts a client's word for which
 * room it may join.
 *
 * A ticket is an HS256 JWT (jose) under a key derived from the deployment's shared secret
 * (TICKWIRE_SECRET) with a label of its own, so a ticket can never pass as an anonymous identity,
 * a resume token or an identity JWT signed with that secret, nor the other way round. Its claims:
 * `sub` (user id), `name`, `room`, `type` (open `room` as a new room of this type), `prc` (the
 * process id it is valid on), `aud` ('tickwire-join'), `iat`, `exp`.
 */
import { createHmac, webcrypto } from 'node:crypto';
import { ErrorCode, LIMITS, ROOM_CODE_PATTERN, TickwireError, type Clock } from '@tickwire/protocol';
import { errors, jwtVerify, SignJWT } from 'jose';

/** What a ticket grants. */
export interface JoinTicket {
  readonly userId: string;
  /** Display name ('' when none). */
  readonly name: string;
  /** The room code the holder may join. */
  readonly room: string;
  /** Set when the process should open `room` as a new room of this type. */
  readonly type?: string;
  /** The process id it is valid on. */
  readonly process: string;
}

/** How long a ticket lives by default: long enough to open a socket, short enough to be useless later. */
export const JOIN_TICKET_TTL_MS = 30_000;

const AUDIENCE = 'tickwire-join';
const MAX_USER_ID = 256;
const MAX_TYPE = 64;
const MAX_PROCESS = 128;
/** Seconds of clock disagreement allowed between the gateway and the process. */
const CLOCK_TOLERANCE_S = 5;

/**
 * Issues and verifies join tickets under a deployment's shared secret.
 *
 * @example
 * const tickets = new JoinTickets(process.env.TICKWIRE_SECRET!);
 * const token = await tickets.issue({ userId: 'u1', name: 'Ada', room: 'arena-7', process: 'game-2' });
 * // on game-2, for the HELLO's token:
 * const ticket = await tickets.verify(token, 'game-2');
 */
export class JoinTickets {
  /** The HMAC key, imported once: importing it on every ticket was half the cost of signing one. */
  private readonly key: Promise<webcrypto.CryptoKey>;
  private readonly clock: Pick<Clock, 'now'>;

  /**
   * `secret`: the deployment's TICKWIRE_SECRET, at least 16 bytes (a string is taken as UTF-8).
   * `clock`: wall-clock ms since the epoch (tickets cross processes); default Date.now.
   */
  constructor(secret: string | Uint8Array, clock: Pick<Clock, 'now'> = { now: () => Date.now() }) {
    const bytes = typeof secret === 'string' ? new TextEncoder().encode(secret) : secret;
    if (bytes.length < 16) throw new RangeError('the join ticket secret must be at least 16 bytes long: give every process and the gateway the same TICKWIRE_SECRET of 32 random bytes');
    const raw = new Uint8Array(createHmac('sha256', bytes).update('tickwire join tickets v1').digest());
    this.key = webcrypto.subtle.importKey('raw', raw, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']);
    this.clock = clock;
  }

  /** A signed ticket for `ticket`, valid for `ttlMs`. Throws a RangeError for a field out of range. */
  async issue(ticket: JoinTicket, ttlMs = JOIN_TICKET_TTL_MS): Promise<string> {
    const t = checked(ticket);
    if (!t) throw new RangeError(`a join ticket needs a user id (1 to ${MAX_USER_ID} characters), a name of at most ${LIMITS.nameBytes} bytes, a valid room code, a type of 1 to ${MAX_TYPE} characters when set, and a process id (1 to ${MAX_PROCESS} characters)`);
    if (!(Number.isFinite(ttlMs) && ttlMs >= 1000)) throw new RangeError(`a join ticket must live at least 1000 ms, got ${ttlMs}`);
    const now = Math.floor(this.clock.now() / 1000);
    const claims: Record<string, string> = { name: t.name, room: t.room, prc: t.process };
    if (t.type !== undefined) claims.type = t.type;
    return new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(t.userId)
      .setAudience(AUDIENCE)
      .setIssuedAt(now)
      .setExpirationTime(now + Math.ceil(ttlMs / 1000))
      .sign(await this.key);
  }

  /**
   * The ticket `token` stands for. Rejects with TickwireError(AUTH_FAILED) when it is forged,
   * expired, malformed, or for another process than `processId`.
   */
  async verify(token: string, processId: string): Promise<JoinTicket> {
    if (token.length === 0 || token.length > LIMITS.tokenBytes) throw refused('the join ticket is missing or too long: ask the gateway for a new one');
    let payload: Record<string, unknown>;
    try {
      ({ payload } = await jwtVerify(token, await this.key, {
        algorithms: ['HS256'],
        audience: AUDIENCE,
        requiredClaims: ['exp', 'sub'],
        currentDate: new Date(this.clock.now()),
        clockTolerance: CLOCK_TOLERANCE_S,
      }));
    } catch (err) {
      if (err instanceof errors.JWTExpired) throw refused('the join ticket has expired: ask the gateway for a new one');
      throw refused('the join ticket is not valid: ask the gateway for a new one');
    }
    const ticket = checked({ userId: payload.sub, name: payload.name, room: payload.room, type: payload.type, process: payload.prc });
    if (!ticket) throw refused('the join ticket is not valid: ask the gateway for a new one');
    if (ticket.process !== processId) throw refused('the join ticket is for another process: ask the gateway where the room lives now');
    return ticket;
  }
}

function refused(message: string): TickwireError {
  return new TickwireError(ErrorCode.AUTH_FAILED, message);
}

/** The fields of a ticket, each range-checked; undefined when any is not. */
function checked(t: { readonly [K in keyof JoinTicket]?: unknown }): JoinTicket | undefined {
  const { userId, name, room, type, process } = t;
  if (typeof userId !== 'string' || userId.length === 0 || userId.length > MAX_USER_ID) return undefined;
  if (typeof name !== 'string' || new TextEncoder().encode(name).length > LIMITS.nameBytes) return undefined;
  if (typeof room !== 'string' || !ROOM_CODE_PATTERN.test(room)) return undefined;
  if (type !== undefined && (typeof type !== 'string' || type.length === 0 || type.length > MAX_TYPE)) return undefined;
  if (typeof process !== 'string' || process.length === 0 || process.length > MAX_PROCESS) return undefined;
  return type === undefined ? { userId, name, room, process } : { userId, name, room, type, process };
}
