/**
 * Waiting out a drain: the rooms of a draining process run until they end, or a deadline. An
 * empty room closes at once (it would otherwise wait its grace period for players who will not
 * be sent here any more); a room with members, even ones waiting to reconnect, runs on.
 */
import type { Clock } from '@tickwire/protocol';
import type { RoomManager } from './room-manager.js';

/** How often a drain looks at its rooms. */
export const DRAIN_POLL_MS = 250;

/** Resolves once every room has closed or `deadlineMs` has passed on `clock`. */
export function roomsEmptied(rooms: RoomManager, clock: Clock, deadlineMs: number, pollMs = DRAIN_POLL_MS): Promise<void> {
  const deadline = clock.now() + deadlineMs;
  return new Promise((resolve) => {
    const look = () => {
      const empty = [...rooms.all()].filter((r) => r.size === 0);
      void Promise.all(empty.map((r) => rooms.dispose(r))).then(() => {
        if (rooms.size === 0 || clock.now() >= deadline) resolve();
        else clock.setTimeout(look, Math.max(1, Math.min(pollMs, deadline - clock.now())));
      });
    };
    look();
  });
}
