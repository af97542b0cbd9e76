/**
 * Ordering of client actions within a tick. Inputs and commands wait in their client's queue
 * until the next tick, which applies them across all clients in (client time, client id,
 * sequence) order (seed 004, strategy 1), at most `maxInputsPerTick` inputs per client.
 */
import type { InputEntry } from '@tickwire/protocol';
import type { PendingCommand, RoomClient } from './room-client.js';

export type Action<C> =
  | { kind: 'input'; client: C; entry: InputEntry<Record<string, unknown>>; order: number }
  | { kind: 'command'; client: C; command: PendingCommand; order: number };

/** Client times are server-clock ms mod 2^32; keep them within a second behind `now`. */
function orderKey(time: number, now32: number): number {
  let age = (now32 - time) | 0;
  if (age < 0) age = 0;
  if (age > 1000) age = 1000;
  return -age;
}

/** Takes this tick's actions out of the clients' queues, in the order they are to be applied. */
export function takeActions<C extends RoomClient>(clients: Iterable<C>, maxInputsPerTick: number, now: number): Action<C>[] {
  const now32 = Math.floor(now) >>> 0;
  const out: Action<C>[] = [];
  for (const client of clients) {
    const inputs = client.pendingInputs;
    const n = Math.min(inputs.length, maxInputsPerTick);
    for (let i = 0; i < n; i++) {
      const entry = inputs[i]!;
      out.push({ kind: 'input', client, entry, order: orderKey(entry.time, now32) });
    }
    if (n > 0) inputs.splice(0, n);
    for (const command of client.pendingCommands) {
      out.push({ kind: 'command', client, command, order: orderKey(command.time, now32) });
    }
    client.pendingCommands.length = 0;
  }
  out.sort((a, b) => a.order - b.order || a.client.id - b.client.id || seqOf(a) - seqOf(b));
  return out;
}

function seqOf<C>(a: Action<C>): number {
  return a.kind === 'input' ? a.entry.seq : a.command.seq;
}

/**
 * Queues the new inputs of an INPUT message (redundant copies of inputs already queued are
 * skipped). Returns how many were dropped because the queue was full.
 */
export function queueInputs(client: RoomClient, inputs: readonly InputEntry<Record<string, unknown>>[], maxBuffered: number): number {
  let dropped = 0;
  for (const entry of inputs) {
    if (entry.seq <= client.lastQueuedInputSeq) continue;
    if (client.pendingInputs.length >= maxBuffered) {
      dropped++;
      continue;
    }
    client.pendingInputs.push(entry);
    client.lastQueuedInputSeq = entry.seq;
  }
  return dropped;
}
