/**
 * Storage contract, sessions: a session's record written whole and read back as written (the
 * newest save wins, its creation time stays), listed newest first by state, and each round's
 * results kept apart.
 */
import { describe, expect, it } from 'vitest';
import { expectStorageError, T0, type WithStorage } from './contract-support.js';
import type { SessionRecord } from './sessions.js';

function session(id: string, fields: Partial<SessionRecord> = {}): SessionRecord {
  return {
    id,
    type: 'bridge',
    name: 'Friday ✦ night',
    state: 'lobby',
    round: 1,
    creator: 'u1',
    passwordHash: null,
    options: { scenario: 'siege', difficulty: 11, ships: 8 },
    groups: ['Artemis', 'Intrepid'],
    members: [
      { userId: 'u1', name: 'ada', group: 0, role: 3, ready: true },
      { userId: 'u2', name: 'bo', group: null, role: null, ready: false },
    ],
    admitted: ['u1'],
    createdAt: T0,
    updatedAt: T0,
    ...fields,
  };
}

/** Registers the session cases. */
export function sessionContract(withStorage: WithStorage): void {
  describe('sessions', () => {
    it('a record reads back as written; saving again replaces all but its creation time', () =>
      withStorage(async (storage) => {
        expect(await storage.sessions.loadSession('S1')).toBeUndefined();
        const first = session('S1', { passwordHash: 'scrypt$16384$8$1$c2FsdA$aGFzaA' });
        await storage.sessions.saveSession(first);
        expect(await storage.sessions.loadSession('S1')).toEqual(first);
        const later = session('S1', { state: 'running', round: 2, members: [], createdAt: T0 + 5, updatedAt: T0 + 9_000, passwordHash: null });
        await storage.sessions.saveSession(later);
        expect(await storage.sessions.loadSession('S1')).toEqual({ ...later, createdAt: T0 });
      }));

    it('lists the most recently updated first, by state, at most limit', () =>
      withStorage(async (storage) => {
        await storage.sessions.saveSession(session('A', { updatedAt: T0 + 1 }));
        await storage.sessions.saveSession(session('B', { updatedAt: T0 + 3, state: 'closed' }));
        await storage.sessions.saveSession(session('C', { updatedAt: T0 + 2, state: 'running' }));
        expect((await storage.sessions.listSessions()).map((s) => s.id)).toEqual(['B', 'C', 'A']);
        expect((await storage.sessions.listSessions({ states: ['lobby', 'running'] })).map((s) => s.id)).toEqual(['C', 'A']);
        expect((await storage.sessions.listSessions({ limit: 1 })).map((s) => s.id)).toEqual(['B']);
        expect(await storage.sessions.listSessions({ states: [] })).toEqual([]);
        await expectStorageError(storage.sessions.listSessions({ limit: 0 }), 'INVALID_ARGUMENT');
      }));

    it("keeps each round's results; a round stored again is replaced", () =>
      withStorage(async (storage) => {
        await expectStorageError(storage.sessions.saveResults({ sessionId: 'none', round: 1, results: {}, endedAt: T0 }), 'NOT_FOUND');
        await storage.sessions.saveSession(session('R'));
        const round1 = { session: { won: true }, groups: [{ name: 'Artemis', stats: { damage: 1200 } }], members: [] };
        await storage.sessions.saveResults({ sessionId: 'R', round: 2, results: { session: { won: false } }, endedAt: T0 + 2 });
        await storage.sessions.saveResults({ sessionId: 'R', round: 1, results: { session: { won: false } }, endedAt: T0 });
        await storage.sessions.saveResults({ sessionId: 'R', round: 1, results: round1, endedAt: T0 + 1 });
        expect(await storage.sessions.loadResults('R')).toEqual([
          { sessionId: 'R', round: 1, results: round1, endedAt: T0 + 1 },
          { sessionId: 'R', round: 2, results: { session: { won: false } }, endedAt: T0 + 2 },
        ]);
        expect(await storage.sessions.loadResults('other')).toEqual([]);
      }));

    it('refuses what it cannot store, and writes nothing', () =>
      withStorage(async (storage) => {
        await expectStorageError(storage.sessions.saveSession(session('')), 'INVALID_ARGUMENT');
        await expectStorageError(storage.sessions.saveSession(session('X', { round: -1 })), 'INVALID_ARGUMENT');
        await expectStorageError(storage.sessions.saveSession(session('X', { options: { big: 1n } })), 'NOT_SERIALISABLE');
        expect(await storage.sessions.listSessions()).toEqual([]);
      }));
  });
}
