/**
 * Adapts a `ws` WebSocket to the Transport interface the runtime speaks: binary and text frames,
 * control frames (for rate limiting), close, abort, and the bytes queued.
 */
import type { Transport } from '@tickwire/protocol';
import type { WebSocket } from 'ws';

export function wsTransport(ws: WebSocket): Transport {
  const t: Transport = {
    onmessage: null,
    onclose: null,
    ontext: null,
    oncontrol: null,
    get bufferedAmount() {
      return ws.bufferedAmount;
    },
    send(frame) {
      if (ws.readyState === ws.OPEN) ws.send(frame, { binary: true });
    },
    sendText(text) {
      if (ws.readyState === ws.OPEN) ws.send(text, { binary: false });
    },
    close(code, reason) {
      if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) ws.close(code, reason);
    },
    abort() {
      ws.terminate();
    },
  };
  ws.on('message', (data, isBinary) => {
    const frame = Array.isArray(data) ? Buffer.concat(data) : data instanceof ArrayBuffer ? new Uint8Array(data) : data;
    if (isBinary) t.onmessage?.(frame);
    else t.ontext?.(frame.toString('utf8'));
  });
  ws.on('ping', () => t.oncontrol?.());
  ws.on('pong', () => t.oncontrol?.());
  ws.on('close', (code, reason) => t.onclose?.(code, reason.toString()));
  ws.on('error', () => ws.terminate());
  return t;
}
