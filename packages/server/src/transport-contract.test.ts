/**
 * Runs the transport contract on every transport the runtime has: the in-memory pipe, ws and
 * uWebSockets.js over real sockets on port 0. A new host adds one `transportContract(...)` line here.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createMemoryPipe, type Transport } from '@tickwire/protocol';
import type { us_listen_socket } from 'uWebSockets.js';
import { describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { defaultLimits } from './limits.js';
import { memoryAdapter, transportContract, type Pair, type Peer, type TransportAdapter } from './transport-contract.test-support.js';
import { loadUws, socketBehavior } from './uws-transport.js';
import { wsTransport } from './ws-transport.js';

transportContract(memoryAdapter(createMemoryPipe));

/** A connected ws client as the peer the contract drives. */
async function wsPeer(url: string): Promise<{ client: WebSocket; peer: Peer }> {
  const client = new WebSocket(url, { perMessageDeflate: false });
  const peer: Peer = {
    send: (f) => client.send(f, { binary: true }),
    sendText: (t) => client.send(t, { binary: false }),
    close: (c, why) => client.close(c, why),
    // ws pauses its socket: the TCP window fills and the server's queue grows.
    pause: () => client.pause(),
    resume: () => client.resume(),
    // Stop reading and writing, keep the TCP connection: no close frame, no FIN.
    vanish: () => client.pause(),
    onmessage: null,
    onclose: null,
  };
  client.on('message', (data, isBinary) => {
    if (!isBinary) return;
    const f = Array.isArray(data) ? Buffer.concat(data) : data instanceof ArrayBuffer ? new Uint8Array(data) : data;
    peer.onmessage?.(f);
  });
  client.on('close', (code, reason) => peer.onclose?.(code, reason.toString()));
  client.on('error', () => undefined);
  await new Promise((r) => client.once('open', r));
  return { client, peer };
}

/**
 * ws on a real HTTP server on 127.0.0.1:0; the peer is a ws client. `ownFraming`: binary frames
 * are framed by the transport and written to the upgraded socket (as the Node host does), else
 * sent through ws.
 */
function wsAdapter(ownFraming: boolean): TransportAdapter {
  const open: { http: Server; wss: WebSocketServer; client: WebSocket }[] = [];
  return {
    name: `ws over real sockets (${ownFraming ? 'frames written to the socket' : 'frames sent by ws'})`,
    settle: () => new Promise((r) => setTimeout(r, 5)),
    async pair({ maxFrameBytes }): Promise<Pair> {
      const http = createServer();
      const wss = new WebSocketServer({ server: http, maxPayload: maxFrameBytes, perMessageDeflate: false });
      await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
      const { port } = http.address() as AddressInfo;
      const serverSide = new Promise<Transport>((resolve) => wss.once('connection', (ws, req) => resolve(wsTransport(ws, ownFraming ? req.socket : undefined))));
      const { client, peer } = await wsPeer(`ws://127.0.0.1:${port}/`);
      open.push({ http, wss, client });
      const server = await serverSide;
      return { server, peer };
    },
    async dispose() {
      for (const { http, wss, client } of open.splice(0)) {
        client.terminate();
        for (const ws of wss.clients) ws.terminate();
        wss.close();
        http.closeAllConnections();
        await new Promise((r) => http.close(r));
      }
    },
  };
}

transportContract(wsAdapter(true));
transportContract(wsAdapter(false));

/** uWebSockets.js serving the uWS host's socket behaviour on 127.0.0.1:0; the peer is a ws client. */
function uwsAdapter(): TransportAdapter {
  const open: { listening: us_listen_socket; server: Transport; client: WebSocket }[] = [];
  return {
    name: 'uWebSockets.js over real sockets',
    settle: () => new Promise((r) => setTimeout(r, 5)),
    async pair({ maxFrameBytes }): Promise<Pair> {
      const uws = await loadUws();
      const app = uws.App();
      const serverSide = new Promise<Transport>((resolve) => {
        app.ws('/ws', socketBehavior(uws, { ...defaultLimits, maxFrameBytes }, { open: (transport) => resolve(transport) }));
      });
      const listening = await new Promise<us_listen_socket | false>((r) => app.listen('127.0.0.1', 0, r));
      if (!listening) throw new Error('uWebSockets.js could not listen on 127.0.0.1');
      const { client, peer } = await wsPeer(`ws://127.0.0.1:${uws.us_socket_local_port(listening)}/ws`);
      const server = await serverSide;
      open.push({ listening, server, client });
      return { server, peer };
    },
    async dispose() {
      const uws = await loadUws();
      for (const { listening, server, client } of open.splice(0)) {
        client.terminate();
        server.abort?.();
        uws.us_listen_socket_close(listening);
      }
    },
  };
}

transportContract(uwsAdapter());

describe('uWebSockets.js', () => {
  it('is the native build, not the JavaScript fallback its npm build drops to when the binary does not load', async () => {
    // Only the native module has the multipart parser.
    expect(typeof (await loadUws()).getParts).toBe('function');
  });
});
