/**
 * The transport contract: what the runtime needs from any transport, as one suite every adapter
 * runs (the in-memory pipe and ws now; a later host by adding one line). Each adapter supplies a
 * factory for a connected pair: the server's end, as a `Transport`, and a peer the test drives.
 *
 * The runtime relies on: frames in order both ways; close codes and reasons that arrive; a
 * `bufferedAmount` that grows while the peer does not read and drains when it does; text frames
 * reported as text; frames over the limit refused; a received buffer that may be reused after the
 * callback returns; and a peer that vanishes without closing being noticed.
 */
import { CloseCode, ErrorCode, FrameEncoder, ManualClock, decodeServer, type Transport } from '@tickwire/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { flush, game, gameRoom, silent } from './harness.test-support.js';
import { TickwireRuntime } from './runtime.js';

/** The far end of a pair, as a client would hold it. */
export interface Peer {
  send(frame: Uint8Array): void;
  sendText(text: string): void;
  close(code: number, reason: string): void;
  /** Stops reading (the network's window fills) / reads again. */
  pause(): void;
  resume(): void;
  /** Goes silent without a close: the cable cut, no FIN. */
  vanish(): void;
  onmessage: ((frame: Uint8Array) => void) | null;
  onclose: ((code: number, reason: string) => void) | null;
}

export interface Pair {
  server: Transport;
  peer: Peer;
}

export interface TransportAdapter {
  name: string;
  /** A connected pair; `maxFrameBytes` is what the server end accepts. */
  pair(options: { maxFrameBytes: number }): Promise<Pair>;
  /** Lets deliveries happen (a microtask turn, or real I/O). */
  settle(): Promise<void>;
  dispose?(): Promise<void>;
}

const waitUntil = async (adapter: TransportAdapter, ok: () => boolean, what: string, tries = 400) => {
  for (let i = 0; i < tries && !ok(); i++) await adapter.settle();
  if (!ok()) throw new Error(`timed out waiting for ${what}`);
};

export function transportContract(adapter: TransportAdapter): void {
  describe(`transport contract: ${adapter.name}`, () => {
    afterEach(async () => {
      await adapter.dispose?.();
    });

    it('delivers frames in order, both ways', async () => {
      const { server, peer } = await adapter.pair({ maxFrameBytes: 1 << 16 });
      const atServer: number[] = [];
      const atPeer: number[] = [];
      server.onmessage = (f) => void atServer.push(new DataView(f.buffer, f.byteOffset).getUint32(0));
      peer.onmessage = (f) => void atPeer.push(new DataView(f.buffer, f.byteOffset).getUint32(0));
      const frame = (i: number) => {
        const b = new Uint8Array(4 + (i % 50));
        new DataView(b.buffer).setUint32(0, i);
        return b;
      };
      for (let i = 0; i < 500; i++) {
        peer.send(frame(i));
        server.send(frame(i));
      }
      await waitUntil(adapter, () => atServer.length === 500 && atPeer.length === 500, '500 frames each way');
      expect(atServer).toEqual([...Array(500).keys()]);
      expect(atPeer).toEqual([...Array(500).keys()]);
    });

    it('delivers frames of every length class intact (each WebSocket header size and its edges)', async () => {
      const { server, peer } = await adapter.pair({ maxFrameBytes: 1 << 18 });
      const sizes = [0, 1, 125, 126, 127, 65535, 65536, 70001];
      const got: Uint8Array[] = [];
      peer.onmessage = (f) => void got.push(f.slice());
      const sent = sizes.map((n, k) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + k) & 0xff));
      for (const f of sent) server.send(f);
      await waitUntil(adapter, () => got.length === sizes.length, 'every frame');
      expect(got.map((f) => f.length)).toEqual(sizes);
      for (let k = 0; k < sizes.length; k++) expect(Buffer.compare(got[k]!, sent[k]!)).toBe(0);
    });

    it('lets the sender reuse a frame buffer as soon as send returns', async () => {
      const { server, peer } = await adapter.pair({ maxFrameBytes: 1 << 16 });
      const got: number[][] = [];
      peer.onmessage = (f) => void got.push([...f]);
      // One buffer for every frame, overwritten after each send, as the room builds snapshots.
      const buf = new Uint8Array(3000);
      for (let i = 0; i < 20; i++) {
        buf.fill(i);
        server.send(buf.subarray(0, 10 + i * 100));
        buf.fill(0xee);
      }
      await waitUntil(adapter, () => got.length === 20, 'every frame');
      got.forEach((f, i) => expect(f).toEqual(new Array<number>(10 + i * 100).fill(i)));
    });

    it('carries close codes and reasons both ways', async () => {
      const a = await adapter.pair({ maxFrameBytes: 1024 });
      let atPeer: [number, string] | undefined;
      a.peer.onclose = (code, reason) => (atPeer = [code, reason]);
      a.server.close(CloseCode.ROOM_CLOSED, 'ROOM_CLOSED: match over');
      await waitUntil(adapter, () => atPeer !== undefined, 'the close at the peer');
      expect(atPeer).toEqual([CloseCode.ROOM_CLOSED, 'ROOM_CLOSED: match over']);

      const b = await adapter.pair({ maxFrameBytes: 1024 });
      let atServer: [number, string] | undefined;
      b.server.onclose = (code, reason) => (atServer = [code, reason]);
      b.peer.close(4321, 'bye');
      await waitUntil(adapter, () => atServer !== undefined, 'the close at the server');
      expect(atServer).toEqual([4321, 'bye']);
    });

    it('counts what a peer that does not read leaves queued, and drains when it reads again', async () => {
      const { server, peer } = await adapter.pair({ maxFrameBytes: 1024 });
      let received = 0;
      peer.onmessage = () => void received++;
      peer.pause();
      const chunk = new Uint8Array(16 * 1024);
      let sent = 0;
      // Fill until the transport reports a backlog (the kernel buffers some first on sockets).
      for (; sent < 4000 && server.bufferedAmount < 256 * 1024; sent++) {
        server.send(chunk);
        if (sent % 50 === 49) await adapter.settle();
      }
      expect(server.bufferedAmount).toBeGreaterThanOrEqual(256 * 1024);
      peer.resume();
      await waitUntil(adapter, () => server.bufferedAmount === 0 && received === sent, 'the backlog to drain', 4000);
    });

    it('reports text frames as text, not as binary', async () => {
      const { server, peer } = await adapter.pair({ maxFrameBytes: 1024 });
      const texts: string[] = [];
      let binary = 0;
      server.ontext = (t) => void texts.push(t);
      server.onmessage = () => void binary++;
      peer.sendText('héllo');
      await waitUntil(adapter, () => texts.length === 1, 'the text frame');
      expect(texts).toEqual(['héllo']);
      expect(binary).toBe(0);
    });

    describe('under the runtime', () => {
      const runtimes: TickwireRuntime[] = [];
      afterEach(async () => {
        while (runtimes.length) await runtimes.pop()!.shutdown();
      });
      const runtime = (clock = new ManualClock(1000), maxFrameBytes = 1024) => {
        const r = new TickwireRuntime({ rooms: gameRoom({ reconnectWindowMs: 60_000 }), clock, logger: silent, processMetrics: false, limits: { maxFrameBytes } });
        runtimes.push(r);
        return r;
      };
      const frames = new FrameEncoder();
      const hello = (extra: { resumeToken?: Uint8Array; token?: string } = {}) =>
        frames.hello({ room: 'r', name: 'p', token: extra.token ?? '', resumeToken: extra.resumeToken, protocolHash: game.hash });
      const collect = (peer: Peer) => {
        const got: ReturnType<typeof decodeServer>[] = [];
        peer.onmessage = (f) => void got.push(decodeServer(f, game));
        return got;
      };

      it('refuses a frame over the limit, and a text frame, with coded errors or a close', async () => {
        const r = runtime(new ManualClock(1000), 256);
        const { server, peer } = await adapter.pair({ maxFrameBytes: 256 });
        const got = collect(peer);
        let closed: number | undefined;
        peer.onclose = (code) => (closed = code);
        r.accept(server, '127.0.0.1');
        peer.sendText('{"hello":1}');
        await waitUntil(adapter, () => got.some((m) => m.kind === 'error'), 'the NOT_BINARY error');
        expect(got[0]).toMatchObject({ kind: 'error', code: ErrorCode.NOT_BINARY });
        peer.send(new Uint8Array(2048));
        await waitUntil(adapter, () => closed !== undefined || got.some((m) => m.kind === 'error' && m.code === ErrorCode.FRAME_TOO_LARGE), 'the refusal');
        // ws refuses it itself (close 1009); a transport without a limit leaves it to the runtime.
        if (closed !== undefined) expect(closed).toBe(1009);
      });

      it('keeps nothing of a received buffer after the callback: a transport may reuse it', async () => {
        const clock = new ManualClock(1000);
        const r = runtime(clock);
        const { server, peer } = await adapter.pair({ maxFrameBytes: 1024 });
        // Scribble over every frame once the runtime's callback returns, as uWebSockets.js may.
        const reusing: Transport = {
          send: (f) => server.send(f),
          get bufferedAmount() {
            return server.bufferedAmount;
          },
          close: (c, why) => server.close(c, why),
          abort: server.abort ? () => server.abort!() : undefined,
          onmessage: null,
          onclose: null,
          ontext: null,
          oncontrol: null,
        };
        server.onmessage = (f) => {
          reusing.onmessage?.(f);
          f.fill(0xff);
        };
        server.ontext = (t) => reusing.ontext?.(t);
        server.oncontrol = () => reusing.oncontrol?.();
        server.onclose = (c, why) => reusing.onclose?.(c, why);
        const got = collect(peer);
        const me = r.anonymous!.issue();
        r.accept(reusing, '127.0.0.1');
        peer.send(hello({ token: me.token }));
        await waitUntil(adapter, () => got.some((m) => m.kind === 'welcome'), 'WELCOME');
        const welcome = got.find((m) => m.kind === 'welcome');
        if (welcome?.kind !== 'welcome') throw new Error('no welcome');
        const room = r.rooms.get('r')!;
        const member = room.clients.get(welcome.clientId)!;
        expect(member.identity.userId).toBe(me.userId);
        expect([...member.resumeToken]).toEqual([...welcome.resumeToken]);
      });

      it('notices a peer that vanished without closing', async () => {
        const clock = new ManualClock(1000);
        const r = runtime(clock);
        const { server, peer } = await adapter.pair({ maxFrameBytes: 1024 });
        const got = collect(peer);
        r.accept(server, '127.0.0.1');
        peer.send(hello());
        await waitUntil(adapter, () => got.some((m) => m.kind === 'welcome'), 'WELCOME');
        expect(r.clientCount()).toBe(1);
        peer.vanish();
        clock.advance(r.limits.idleTimeoutMs + 1000);
        await waitUntil(adapter, () => r.clientCount() === 0, 'the silent connection to be dropped');
      });
    });
  });
}

/** The in-memory pipe as a contract adapter: pause holds deliveries to the peer. */
export function memoryAdapter(createPipe: (deliver: (fn: () => void) => void) => [Transport, Transport]): TransportAdapter {
  return {
    name: 'in-memory pipe',
    settle: flush,
    async pair() {
      let paused = false;
      let vanished = false;
      const held: (() => void)[] = [];
      const deliver = (fn: () => void) => {
        if (vanished) return;
        queueMicrotask(() => (paused ? held.push(fn) : fn()));
      };
      const [client, server] = createPipe(deliver);
      const peer: Peer = {
        send: (f) => client.send(f),
        sendText: (t) => client.sendText!(t),
        close: (c, r) => client.close(c, r),
        pause: () => void (paused = true),
        resume: () => {
          paused = false;
          for (const fn of held.splice(0)) fn();
        },
        vanish: () => void (vanished = true),
        onmessage: null,
        onclose: null,
      };
      client.onmessage = (f) => peer.onmessage?.(f);
      client.onclose = (c, r) => peer.onclose?.(c, r);
      return { server, peer };
    },
  };
}
