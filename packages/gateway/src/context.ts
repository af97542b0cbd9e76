/**
 * What every gateway route shares: the cluster's registries seen through {@link Placement}, the
 * join tickets it signs, how it reaches processes and who the caller is; and the few helpers the
 * routes use to read a request and to answer with a direction (where to connect, and the ticket
 * to show there).
 */
import { ErrorCode, LIMITS, ROOM_CODE_PATTERN, textProblem } from '@tickwire/protocol';
import type { Identity, JoinTickets, ProcessRecord } from '@tickwire/server';
import type { Logger } from 'pino';
import { failure, isRecord, type CallOptions } from './process-calls.js';
import type { Placement } from './placement.js';

export interface GatewayContext {
  readonly placement: Placement;
  readonly tickets: JoinTickets;
  /** How long a ticket is valid. */
  readonly ticketTtlMs: number;
  readonly calls: CallOptions;
  readonly logger: Logger;
  /** Who sent a request: its bearer token checked like the processes check it (401 otherwise). */
  authenticateRequest(request: Request): Promise<Identity>;
  /** A fresh room code for a room the gateway places. */
  newCode(): string;
}

/** Where to connect and what to show there: the answer to every join. */
export interface Direction {
  /** The room's code (for a create, the one the gateway picked). */
  room: string;
  /** The process's WebSocket address. */
  url: string;
  /** The join ticket: send it as HELLO's token. */
  ticket: string;
  /** The process's id. */
  process: string;
}

/** Signs a ticket for `identity` to join `room` on `process` (opening it as `type` when given). */
export async function direct(ctx: GatewayContext, identity: Identity, process: ProcessRecord, room: string, name: string, type?: string): Promise<Direction> {
  const ticket = await ctx.tickets.issue({ userId: identity.userId, name, room, process: process.id, ...(type === undefined ? {} : { type }) }, ctx.ticketTtlMs);
  return { room, url: process.url, ticket, process: process.id };
}

/** The answer for a room whose process died (or drained) and that no live process runs yet. */
export function moving(code: string, owner: string): Response {
  return failure(
    503,
    ErrorCode.ROOM_ELSEWHERE,
    `room '${code}' ran on process '${owner.slice(0, 64)}', which is gone: another process takes it over within seconds, try again shortly`,
    { 'retry-after': '1' },
  );
}

/** The answer when no process can take a new room. */
export function noProcess(): Response {
  return failure(503, ErrorCode.TOO_MANY_ROOMS, 'no game process can take a room now (all draining, full, or none running): try again shortly', { 'retry-after': '2' });
}

/** Largest JSON body a gateway route reads. */
const MAX_BODY = 16 * 1024;
const utf8 = new TextEncoder();

/** A request's JSON object body ({} when empty) and its text, or the response refusing it. */
export async function jsonBody(request: Request): Promise<{ value: Record<string, unknown>; text: string } | Response> {
  const text = await request.text();
  if (utf8.encode(text).length > MAX_BODY) return failure(413, ErrorCode.COUNT_TOO_LARGE, `the body is over ${MAX_BODY} bytes`);
  if (text.trim() === '') return { value: {}, text: '{}' };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return failure(400, ErrorCode.VALUE_OUT_OF_RANGE, 'the body is not JSON');
  }
  if (!isRecord(parsed)) return failure(400, ErrorCode.VALUE_OUT_OF_RANGE, 'the body must be a JSON object');
  return { value: parsed, text };
}

/** A room code (or room type) from a body or a path, or the response refusing it. */
export function roomCode(value: unknown, what: string): string | Response {
  if (typeof value !== 'string' || !ROOM_CODE_PATTERN.test(value)) {
    return failure(400, ErrorCode.INVALID_ROOM_CODE, `${what} must be 1-64 letters, digits, '_', '-', '.', ':'`);
  }
  return value;
}

/** A path parameter, percent-decoded, as a room code; or the response refusing it. */
export function codeParam(params: Record<string, string>, key: string, what: string): string | Response {
  let raw: string;
  try {
    raw = decodeURIComponent(params[key] ?? '');
  } catch {
    return failure(400, ErrorCode.INVALID_ROOM_CODE, `the ${what} in the path is not valid percent-encoding`);
  }
  return roomCode(raw, `the ${what}`);
}

/** A player's display name ('' when none), or the response refusing it. */
export function displayName(value: unknown): string | Response {
  if (value === undefined || value === null || value === '') return '';
  if (typeof value !== 'string' || utf8.encode(value).length > LIMITS.nameBytes) {
    return failure(400, ErrorCode.STRING_TOO_LONG, `name must be a string of at most ${LIMITS.nameBytes} bytes`);
  }
  const problem = textProblem(value, 'the name');
  return problem ? failure(400, ErrorCode.INVALID_TEXT, problem) : value;
}
