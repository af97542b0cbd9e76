/**
 * Runs the transport contract on every transport the runtime has: the in-memory pipe, and ws
 * over real sockets on port 0. A new host adds one `transportContract(...)` line here.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createMemoryPipe, type Transport } from '@tickwire/protocol';
import { WebSocket, WebSocketServer } from 'ws';
import { memoryAdapter, transportContract, type Pair, type Peer, type TransportAdapter } from './transport-contract.test-support.js';
import { wsTransport } from './ws-transport.js';

transportContract(memoryAdapter(createMemoryPipe));

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
      const client = new WebSocket(`ws://127.0.0.1:${port}/`, { perMessageDeflate: false });
      open.push({ http, wss, client });
      await new Promise((r) => client.once('open', r));
      const server = await serverSide;
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
