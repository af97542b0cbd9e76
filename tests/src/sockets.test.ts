/**
 * Real WebSocket scenarios on port 0: the SDK against the server, both in this process.
 */
import { connect, type ClientRoom } from '@tickwire/client/node';
import { CloseCode, ErrorCode, FrameEncoder, PROTOCOL_VERSION, TickwireError } from '@tickwire/protocol';
import { createServer, type TickwireServer } from '@tickwire/server';
import WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { silent, testGame, testRoom, type TestGame } from './game.js';
import { waitFor } from './wait.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function serve(options: Partial<Parameters<typeof createServer>[0]> = {}): Promise<{ server: TickwireServer; wsUrl: string }> {
  const server = createServer({ rooms: testRoom(), logger: silent, processMetrics: false, ...options });
  const addr = await server.listen(0, '127.0.0.1');
  cleanups.push(() => server.close());
  return { server, wsUrl: addr.wsUrl };
}

async function join(wsUrl: string, name: string, room = 'r1'): Promise<ClientRoom<TestGame>> {
  const c = await connect({ url: wsUrl, room, name, protocol: testGame });
  cleanups.push(() => c.isOpen && c.disconnect());
  return c;
}

function x(room: ClientRoom<TestGame>, id: number): number {
  return room.entities.get(id)?.state.position.x ?? Number.NaN;
}

describe('real sockets', () => {
  it('two clients in one room see each other move', async () => {
    const { wsUrl } = await serve();
    const a = await join(wsUrl, 'ada');
    const b = await join(wsUrl, 'bob');
    await waitFor(() => b.entities.has(a.entityId) && a.entities.has(b.entityId), 3000, 'both ships');
    const seen = b.entities.get(a.entityId)!;
    expect(seen.typeName === 'ship' && seen.state.label.name).toBe('ada');
    const start = x(b, a.entityId);
    const timer = setInterval(() => a.sendInput({ dx: 1, dy: 0 }), 50);
    cleanups.push(() => clearInterval(timer));
    await waitFor(() => x(b, a.entityId) > start + 40, 3000, 'b to see a move');
    clearInterval(timer);
    expect(x(a, a.entityId)).toBeGreaterThan(start + 40);
  });

  it('a late joiner gets a full snapshot, then deltas', async () => {
    const { server, wsUrl } = await serve();
    const a = await join(wsUrl, 'ada');
    await waitFor(() => a.stats.snapshots > 5);
    const late = await join(wsUrl, 'late');
    await waitFor(() => late.stats.snapshots >= 6, 3000, 'snapshots for the late joiner');
    expect(late.entities.has(a.entityId)).toBe(true);
    expect(late.stats.fullSnapshots).toBe(1);
    expect(server.metrics.totals.snapshots).toBeGreaterThan(server.metrics.totals.fullSnapshots);
  });

  it('over a reliable link, a client that stops acknowledging still gets deltas (against what was sent)', async () => {
    const { server, wsUrl } = await serve({ rooms: testRoom({ snapshotHistory: 8 }) });
    // A raw client that joins and never acknowledges anything.
    const raw = new WebSocket(wsUrl);
    cleanups.push(() => raw.terminate());
    await new Promise((r) => raw.once('open', r));
    raw.send(new FrameEncoder().hello({ room: 'r1', name: 'silent', token: '', resumeToken: undefined, protocolHash: testGame.hash }));
    await waitFor(() => server.metrics.totals.snapshots > 5, 3000, 'the first snapshots');
    const full = server.metrics.totals.fullSnapshots;
    const snaps = server.metrics.totals.snapshots;
    expect(full).toBe(1); // the one after joining
    await waitFor(() => server.metrics.totals.snapshots > snaps + 15, 3000, 'snapshots without acks');
    expect(server.metrics.totals.fullSnapshots).toBe(full);
  });

  it('with acknowledged baselines, a client that stops acknowledging gets a full snapshot again, and deltas once it acks', async () => {
    const { server, wsUrl } = await serve({ rooms: testRoom({ snapshotHistory: 8, snapshotBaseline: 'acknowledged' }) });
    const a = await join(wsUrl, 'ada');
    await waitFor(() => a.stats.snapshots > 5);
    // Cut the client's upstream: it keeps receiving but its acks no longer reach the server.
    const transport = (a as unknown as { transport: { send: (f: Uint8Array) => void } }).transport;
    const send = transport.send;
    transport.send = () => undefined;
    const fullBefore = server.metrics.totals.fullSnapshots;
    await waitFor(() => server.metrics.totals.fullSnapshots > fullBefore + 2, 3000, 'full snapshots after acks stop');
    transport.send = send;
    const snaps = server.metrics.totals.snapshots;
    await waitFor(() => server.metrics.totals.snapshots > snaps + 5);
    const fullAfter = server.metrics.totals.fullSnapshots;
    await waitFor(() => server.metrics.totals.snapshots > snaps + 10);
    expect(server.metrics.totals.fullSnapshots).toBe(fullAfter);
    expect(a.entities.has(a.entityId)).toBe(true);
  });

  it('a client that stops reading does not grow the server: its snapshots are skipped, then it is closed', async () => {
    const skipBytes = 64 * 1024;
    const { server, wsUrl } = await serve({
      rooms: testRoom({
        // Acknowledged baselines: a client that acks nothing gets full snapshots, which fill its
        // socket buffers fast (with sent baselines it would get small deltas of a still world).
        snapshotBaseline: 'acknowledged',
        setup: (room) => {
          // Enough state that full snapshots (the slow client acks nothing) fill socket buffers fast.
          for (let i = 0; i < 2000; i++) room.entities.create('ship', { position: { x: i / 2, y: i / 2 }, label: { name: `npc-${i}-padding` } });
          return { fired: 0 };
        },
      }),
      limits: { snapshotSkipBytes: skipBytes, maxBufferedBytes: 8 * 1024 * 1024, maxStallMs: 1500 },
    });
    const honest = await join(wsUrl, 'honest');
    const raw = new WebSocket(wsUrl);
    cleanups.push(() => raw.terminate());
    await new Promise((r) => raw.once('open', r));
    raw.send(new FrameEncoder().hello({ room: 'r1', name: 'slow', token: '', resumeToken: undefined, protocolHash: testGame.hash }));
    await waitFor(() => server.rooms.get('r1')!.connectedCount === 2);
    // Stop reading: the TCP window closes, then the server's send buffer fills.
    (raw as unknown as { _socket: { pause(): void } })._socket.pause();
    const closedCode = new Promise<number>((r) => raw.once('close', (code) => r(code)));
    const seat = [...server.rooms.get('r1')!.clients.values()].find((c) => c.name === 'slow')!;
    const conn = seat.connection!;
    let maxQueued = 0;
    const sample = setInterval(() => (maxQueued = Math.max(maxQueued, conn.bufferedAmount)), 5);
    cleanups.push(() => clearInterval(sample));
    await waitFor(() => server.metrics.totals.snapshotsSkipped > 5, 15_000, 'skipped snapshots');
    const honestBefore = honest.stats.snapshots;
    await waitFor(() => !seat.connected, 5000, 'the stalled client to be closed');
    clearInterval(sample);
    // Skipping bounds what is queued for it at the threshold plus one full snapshot.
    const fullSnapshot = 2000 * 40;
    expect(maxQueued).toBeLessThan(skipBytes + fullSnapshot);
    expect(honest.stats.snapshots).toBeGreaterThan(honestBefore);
    expect(honest.isOpen).toBe(true);
    (raw as unknown as { _socket: { resume(): void } })._socket.resume();
    // Dropped without a closing handshake (it would wait behind megabytes it is not reading), so
    // the client sees an abnormal closure; the server counts it as TOO_SLOW.
    expect(await closedCode).toBe(1006);
    expect(await server.metrics.text()).toMatch(/tickwire_errors_total\{code="TOO_SLOW"\} 1/);
  }, 30_000);

  it('garbage and a flood from one connection close it while two honest clients keep receiving snapshots at the rate', async () => {
    const { server, wsUrl } = await serve({ limits: { messagesPerSecond: 50, messageBurst: 50, floodTolerance: 50, maxProtocolErrors: 5 } });
    const a = await join(wsUrl, 'a');
    const b = await join(wsUrl, 'b');
    await waitFor(() => a.stats.snapshots > 3 && b.stats.snapshots > 3);

    // Garbage after joining: closed after the error budget.
    const garbage = await join(wsUrl, 'garbage');
    const gClosed = new Promise<{ code: number }>((r) => garbage.once('close', r));
    const gt = (garbage as unknown as { transport: { send: (f: Uint8Array) => void } }).transport;
    for (let i = 0; i < 10; i++) gt.send(new Uint8Array([PROTOCOL_VERSION, 0x33, i, 0xde, 0xad]));
    expect((await gClosed).code).toBe(CloseCode.PROTOCOL_ERROR);

    // A flood of valid pings: rate limited, then closed.
    const flood = await join(wsUrl, 'flood');
    const fClosed = new Promise<{ code: number }>((r) => flood.once('close', r));
    const errors: number[] = [];
    flood.on('error', (e) => errors.push(e.code));
    const ft = (flood as unknown as { transport: { send: (f: Uint8Array) => void } }).transport;
    const enc = new FrameEncoder();
    for (let i = 0; i < 400; i++) ft.send(enc.ping(i, 0));
    expect((await fClosed).code).toBe(CloseCode.FLOOD);
    expect(errors).toContain(ErrorCode.RATE_LIMITED);

    const [sa, sb] = [a.stats.snapshots, b.stats.snapshots];
    const t0 = Date.now();
    await waitFor(() => Date.now() - t0 >= 1000, 2000);
    const rate = (n: number) => (n * 1000) / (Date.now() - t0);
    // 20 Hz configured; allow for timer jitter on a shared machine.
    expect(rate(a.stats.snapshots - sa)).toBeGreaterThan(14);
    expect(rate(b.stats.snapshots - sb)).toBeGreaterThan(14);
    expect(a.isOpen && b.isOpen).toBe(true);
    expect(server.rooms.get('r1')!.connectedCount).toBe(2);
  });

  it('text frames and oversized frames get clear answers', async () => {
    const { wsUrl } = await serve({ limits: { maxFrameBytes: 1024 } });
    const a = await join(wsUrl, 'a');
    const errors: TickwireError[] = [];
    a.on('error', (e) => errors.push(e));
    const raw = new WebSocket(wsUrl);
    cleanups.push(() => raw.terminate());
    await new Promise((r) => raw.once('open', r));
    const got: Buffer[] = [];
    raw.on('message', (d) => got.push(d as Buffer));
    raw.send('{"type":"hello"}');
    await waitFor(() => got.length > 0);
    expect(got[0]![1]).toBe(0x47); // ERROR
    const closed = new Promise<number>((r) => raw.once('close', (code) => r(code)));
    raw.send(new Uint8Array(4096));
    expect(await closed).toBe(1009); // ws: message too big
    expect(a.isOpen).toBe(true);
  });

  it('commands resolve when accepted and reject with the server code when refused; events and chat arrive', async () => {
    const { wsUrl } = await serve();
    const a = await join(wsUrl, 'ada');
    const b = await join(wsUrl, 'bob');
    const events: unknown[] = [];
    b.on('event', (e) => events.push(e));
    const chats: string[] = [];
    b.on('chat', (l) => chats.push(`${l.name}: ${l.text}`));
    await a.sendCommand('combat', 'fire', { angle: 1 }, { entity: a.entityId });
    await expect(b.sendCommand('combat', 'fire', { angle: 1 }, { entity: a.entityId })).rejects.toMatchObject({ code: ErrorCode.NOT_YOUR_ENTITY });
    await expect(a.sendCommand('admin', 'slow', { ms: 1 })).rejects.toMatchObject({ code: ErrorCode.UNKNOWN_COMMAND });
    a.chat('gg');
    await waitFor(() => events.length > 0 && chats.length > 0);
    expect(events[0]).toMatchObject({ name: 'hit', payload: { target: a.entityId } });
    expect(chats).toEqual(['ada: gg']);
  });

  it('a dropped player resumes their seat with the resume token', async () => {
    const { server, wsUrl } = await serve({ rooms: testRoom({ reconnectWindowMs: 10_000 }) });
    const a = await join(wsUrl, 'ada');
    const b = await join(wsUrl, 'bob');
    await waitFor(() => b.entities.has(a.entityId));
    // Only a seat that played (acknowledged a snapshot) is kept for a reconnect.
    await waitFor(() => server.rooms.get('r1')!.clients.get(a.clientId)!.everAcked);
    a.disconnect();
    const again = await connect({ url: wsUrl, room: 'r1', name: 'ada', protocol: testGame, resumeToken: a.resumeToken });
    cleanups.push(() => again.disconnect());
    expect(again.clientId).toBe(a.clientId);
    expect(again.entityId).toBe(a.entityId);
    await waitFor(() => again.entities.has(again.entityId));
    expect(b.entities.has(a.entityId)).toBe(true);
  });
});
