/**
 * Stable error codes shared by the server and the client.
 *
 * The numbers are part of the wire format (the ERROR and COMMAND_RESULT messages carry them)
 * and of the public API: never renumber one. Ranges: 1xxx malformed frames, 2xxx joining and
 * sessions, 3xxx limits and abuse, 4xxx game commands and inputs, 5xxx server faults.
 */
export const ErrorCode = {
  UNSUPPORTED_VERSION: 1001,
  TRUNCATED: 1002,
  UNKNOWN_KIND: 1003,
  VALUE_OUT_OF_RANGE: 1004,
  STRING_TOO_LONG: 1005,
  FRAME_TOO_LARGE: 1006,
  INVALID_UTF8: 1007,
  TRAILING_DATA: 1008,
  NOT_BINARY: 1009,
  COUNT_TOO_LARGE: 1010,

  NOT_JOINED: 2001,
  ALREADY_JOINED: 2002,
  ROOM_FULL: 2003,
  SCHEMA_MISMATCH: 2004,
  AUTH_FAILED: 2005,
  INVALID_ROOM_CODE: 2006,
  RESUME_FAILED: 2007,
  SHUTTING_DOWN: 2008,
  JOIN_TIMEOUT: 2009,
  JOIN_REFUSED: 2010,
  ROOM_CLOSED: 2011,
  REPLACED: 2012,
  INVALID_TEXT: 2013,
  ROOM_NOT_FOUND: 2014,
  ROOM_ELSEWHERE: 2015,
  SEAT_TAKEN: 2016,
  NO_SUCH_SEAT: 2017,
  WRONG_PASSWORD: 2018,
  SESSION_STATE: 2019,
  NOT_HOST: 2020,
  NOT_READY: 2021,
  GROUP_LOCKED: 2022,
  NOT_CAPTAIN: 2023,

  RATE_LIMITED: 3001,
  TOO_MANY_INPUTS: 3002,
  FLOOD: 3003,
  TOO_MANY_ERRORS: 3004,
  TOO_SLOW: 3005,
  TOO_MANY_ROOMS: 3006,
  TOO_MANY_CONNECTIONS: 3007,

  UNKNOWN_COMMAND: 4001,
  NOT_YOUR_ENTITY: 4002,
  COMMAND_REJECTED: 4003,
  COMMAND_FAILED: 4004,
  INVALID_INPUT: 4005,
  TIMEOUT: 4006,
  DISCONNECTED: 4007,

  INTERNAL: 5000,
  ROOM_FAILED: 5001,
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

const names = new Map<number, string>(Object.entries(ErrorCode).map(([k, v]) => [v, k]));

/** The symbolic name of a numeric error code (`'ROOM_FULL'` for 2003), or `'UNKNOWN_<n>'`. */
export function errorCodeName(code: number): string {
  return names.get(code) ?? `UNKNOWN_${code}`;
}

/**
 * WebSocket close codes the server uses. 1000/1001 are the standard ones; the 4xxx range is
 * reserved by RFC 6455 for applications.
 */
export const CloseCode = {
  NORMAL: 1000,
  GOING_AWAY: 1001,
  PROTOCOL_ERROR: 4000,
  UNSUPPORTED_VERSION: 4001,
  FLOOD: 4002,
  ROOM_FULL: 4003,
  AUTH_FAILED: 4004,
  JOIN_TIMEOUT: 4005,
  SCHEMA_MISMATCH: 4006,
  TOO_SLOW: 4007,
  JOIN_REFUSED: 4008,
  REPLACED: 4009,
  ROOM_CLOSED: 4010,
  ROOM_FAILED: 4011,
  TOO_MANY_CONNECTIONS: 4012,
} as const;

export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];

/**
 * An error that carries a stable code. Decoders throw it (and nothing else) on hostile input;
 * the SDK rejects command promises with it.
 */
export class TickwireError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string) {
    super(message);
    this.name = 'TickwireError';
    this.code = code;
  }

  get codeName(): string {
    return errorCodeName(this.code);
  }
}

/** Thrown by every decoder in this package on malformed input. */
export class ProtocolError extends TickwireError {
  constructor(code: ErrorCode, message: string) {
    super(code, message);
    this.name = 'ProtocolError';
  }
}
