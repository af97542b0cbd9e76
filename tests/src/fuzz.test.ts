/**
 * Fuzzing a live arena server (a child process on 127.0.0.1, port 0) in the suite: tens of
 * thousands of hostile frames and requests from several loopback addresses, then a flood from
 * one, while honest SDK players in the attacked room keep playing. The server must not crash,
 * must answer every malformed request with a 4xx and never write a frame the client cannot
 * decode, and must keep the honest players connected and served. The precise snapshot rate
 * before and during the attack is `npm run fuzz`'s to report; here a player only has to keep
 * receiving.
 *
 * The frame stream is seeded (FUZZ_SEED picks another seed); timing still varies run to run.
 */
import { describe, expect, it } from 'vitest';
import { runFuzz } from './fuzz/run.js';

const FRAMES = 30_000;

describe('fuzzing a live arena server', () => {
  it(`survives ${FRAMES} hostile frames and requests and a flood; honest players keep playing`, async () => {
    const seed = Number(process.env.FUZZ_SEED ?? 20_261_128);
    const s = await runFuzz({ frames: FRAMES, rate: 2500, attackers: 10, honest: 3, seed, baselineMs: 1500, sqlite: false, flood: true, restartOnCrash: false });
    // Everything needed to reproduce a failure, in the failure message.
    const detail = JSON.stringify(
      { seed, crashReports: s.crashReports, serverErrorLogs: s.serverErrorLogs, http5xx: s.http.serverErrors, undecodable: s.undecodableServerFrames, honest: s.honest, flood: s.flood, health: s.health, exit: s.serverExit },
      null,
      2,
    );

    expect(s.crashes, detail).toBe(0);
    expect(s.frames.total, detail).toBeGreaterThanOrEqual(FRAMES);
    // Alive and well at the end, and a clean shutdown after.
    expect(s.health.status, detail).toBe(200);
    expect(s.health.body, detail).toMatchObject({ status: 'ok' });
    expect(s.serverExit, detail).toEqual({ code: 0, signal: null });
    // No internal errors: no 5xx, no error-level log (a handler that threw), no malformed frame out.
    expect(s.http.serverErrors, detail).toEqual({});
    expect(s.serverErrorLogs, detail).toEqual({});
    expect(s.undecodableServerFrames.count, detail).toBe(0);
    // Every category of attack was sent.
    for (const category of ['valid', 'random', 'mutated', 'boundary', 'order', 'text', 'oversize', 'control', 'http', 'framing']) {
      expect(s.frames.byCategory[category] ?? 0, `${category} frames sent`).toBeGreaterThan(0);
    }
    // Malformed frames were refused with their codes, not ignored.
    expect(s.errors.received, detail).toMatchObject({ VALUE_OUT_OF_RANGE: expect.any(Number), TRUNCATED: expect.any(Number), NOT_JOINED: expect.any(Number) });

    // The honest players: never disconnected, served all along, still served at the end.
    expect(s.honest.disconnected, detail).toEqual([]);
    expect(s.honest.duringPerClient.length, detail).toBe(3);
    for (const n of s.honest.duringPerClient) expect(n, detail).toBeGreaterThan(0);
    expect(s.honest.receivingAfter, detail).toBe(true);

    // The flood: flooders closed for it (FLOOD, close 4002), connections past the per-address
    // limit refused with their own code, nobody let back in at once.
    const fl = s.flood!;
    expect(fl.errors.FLOOD, detail).toBeGreaterThan(0);
    expect(fl.closeCodes['4002'], detail).toBeGreaterThan(0);
    expect(fl.connectionsOpened, detail).toBeLessThan(fl.connectionsAttempted);
    expect(fl.connectionsRefused['close 4012'], detail).toBe(fl.connectionsAttempted - fl.connectionsOpened);
    expect(fl.reconnect.joined, detail).toBeUndefined();
    expect(Object.keys(fl.reconnect).some((k) => k.startsWith('close 4012')), detail).toBe(true);
  }, 120_000);
});
