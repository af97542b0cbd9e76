/**
 * Just enough of Colyseus 0.18's client protocol for a light load generator: matchmaking over
 * HTTP, the WebSocket join handshake, `room.send('input', ...)` frames, and telling patches
 * from other frames by their first byte. State is not decoded (bytes are only counted), except
 * by the probe, which builds the schema decoder from the handshake's reflection.
 */
import { decode, encode, Reflection, type Decoder, type Iterator } from '@colyseus/schema';

/** Colyseus protocol codes (bits 0-4 of a frame's first byte). */
export const Code = {
  JOIN_ROOM: 10,
  ERROR: 11,
  LEAVE_ROOM: 12,
  ROOM_DATA: 13,
  ROOM_STATE: 14,
  ROOM_STATE_PATCH: 15,
} as const;

export const codeOf = (frame: Uint8Array): number => frame[0]! & 0x1f;

export interface Seat {
  sessionId: string;
  roomId: string;
  processId: string;
}

/** POST /matchmake/joinOrCreate/:room, as the SDK does; throws with the server's message. */
export async function reserveSeat(httpUrl: string, roomName: string, options: Record<string, unknown> = {}): Promise<Seat> {
  const res = await fetch(`${httpUrl}/matchmake/joinOrCreate/${roomName}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify(options),
  });
  const body = (await res.json()) as Partial<Seat> & { error?: string };
  if (!res.ok || !body.sessionId || !body.roomId || !body.processId) {
    throw new Error(`Colyseus matchmaking failed (${res.status}): ${body.error ?? JSON.stringify(body)}`);
  }
  return { sessionId: body.sessionId, roomId: body.roomId, processId: body.processId };
}

/** The WebSocket URL of a reserved seat. */
export function seatUrl(httpUrl: string, seat: Seat): string {
  return `${httpUrl.replace(/^http/, 'ws')}/${seat.processId}/${seat.roomId}?sessionId=${encodeURIComponent(seat.sessionId)}`;
}

/** The client's reply to JOIN_ROOM: after it the server sends the full state, then patches. */
export const JOIN_ACK = Uint8Array.of(Code.JOIN_ROOM);

/**
 * `room.send(type, message)` for a message {dx, dy}: ROOM_DATA, the type as a schema string,
 * then the message in MessagePack (a two-entry map of small ints).
 */
export function inputFrame(type: string, dx: number, dy: number): Uint8Array {
  const bytes = new Uint8Array(64);
  const it: Iterator = { offset: 0 };
  bytes[it.offset++] = Code.ROOM_DATA;
  encode.string(bytes, type, it);
  const fixint = (v: number) => {
    if (!Number.isInteger(v) || v < -32 || v > 127) throw new RangeError(`inputFrame sends small ints only, got ${v}`);
    return v & 0xff;
  };
  const map = [0x82, 0xa2, 0x64, 0x78, fixint(dx), 0xa2, 0x64, 0x79, fixint(dy)]; // {"dx": dx, "dy": dy}
  bytes.set(map, it.offset);
  return bytes.slice(0, it.offset + map.length);
}

/** The state reflection carried by a JOIN_ROOM frame (empty when the room has no state). */
export function joinHandshake(frame: Uint8Array): Uint8Array {
  const it: Iterator = { offset: 1 };
  it.offset += frame[it.offset]! + 1; // reconnection token
  it.offset += frame[it.offset]! + 1; // serializer id
  const length = decode.number(frame, it);
  return frame.subarray(it.offset, it.offset + length);
}

/** The probe's decoder: the state as a client SDK would hold it. */
export class StateMirror {
  private readonly decoder: Decoder;

  constructor(handshake: Uint8Array) {
    this.decoder = Reflection.decode(handshake);
  }

  /** Applies a ROOM_STATE or ROOM_STATE_PATCH frame. */
  apply(frame: Uint8Array): void {
    this.decoder.decode(frame, { offset: 1 });
  }

  /** Players in the state's `players` map. */
  players(): number {
    const state = this.decoder.state as unknown as { players?: { size: number } };
    return state.players?.size ?? 0;
  }
}
