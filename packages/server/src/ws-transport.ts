/** Adapts a `ws` WebSocket to the Transport interface the server runtime speaks. */
import type { Transport } from '@tickwire/protocol';
import type { WebSocket } from 'ws';

export function wsTransport(ws: WebSocket, onText: () => void): Transport {
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
  };
  ws.on('message', (data, isBinary) => {
    if (!isBinary) return onText();
    const frame = Array.isArray(data) ? Buffer.concat(data) : data instanceof ArrayBuffer ? new Uint8Array(data) : data;
    t.onmessage?.(frame);
  });
  ws.on('close', (code, reason) => t.onclose?.(code, reason.toString()));
  ws.on('error', () => ws.terminate());
  return t;
}
