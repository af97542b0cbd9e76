/** Adapts a `ws` WebSocket to the Transport interface the server runtime speaks. */
import type { Transport } from '@tickwire/protocol';
import type { WebSocket } from 'ws';

export interface WsTransportHooks {
  /** A text frame arrived (the protocol is binary only). */
  onText(): void;
  /** A ping or pong control frame arrived: counted like a message, so they cannot flood. */
  onControl(): void;
}

export function wsTransport(ws: WebSocket, hooks: WsTransportHooks): Transport {
  const t: Transport = {
    onmessage: null,
    onclose: null,
    get bufferedAmount() {
      return ws.bufferedAmount;
    },
    send(frame) {
      if (ws.readyState === ws.OPEN) ws.send(frame, { binary: true });
    },
    close(code, reason) {
      if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) ws.close(code, reason);
    },
    abort() {
      ws.terminate();
    },
  };
  ws.on('message', (data, isBinary) => {
    if (!isBinary) return hooks.onText();
    const frame = Array.isArray(data) ? Buffer.concat(data) : data instanceof ArrayBuffer ? new Uint8Array(data) : data;
    t.onmessage?.(frame);
  });
  ws.on('ping', () => hooks.onControl());
  ws.on('pong', () => hooks.onControl());
  ws.on('close', (code, reason) => t.onclose?.(code, reason.toString()));
  ws.on('error', () => ws.terminate());
  return t;
}
