/**
 * Adapts a `ws` WebSocket to the Transport interface the runtime speaks: binary and text frames,
 * control frames (for rate limiting), close, abort, and the bytes queued.
 *
 * Given the upgraded socket, binary frames skip ws's sender: each is framed here (an unmasked
 * FIN binary frame: a 2, 4 or 10 byte header, RFC 6455 5.2) into one buffer with its payload and
 * written to the socket in one call, where ws would allocate the header apart and write header
 * and payload as a corked pair (a writev). This is sound because the server never compresses
 * (perMessageDeflate is off, so ws queues nothing of its own) and writes only while the socket is
 * OPEN: ws's own frames (pongs, the close frame) go to the same socket, in call order.
 */
import type { Socket } from 'node:net';
import type { Transport } from '@tickwire/protocol';
import type { WebSocket } from 'ws';

/** One buffer holding a complete server-to-client binary frame: header, then payload. */
export function binaryFrame(payload: Uint8Array): Buffer {
  const n = payload.length;
  const head = n < 126 ? 2 : n < 65536 ? 4 : 10;
  const out = Buffer.allocUnsafe(head + n);
  out[0] = 0x82; // FIN, opcode 2 (binary)
  if (n < 126) out[1] = n;
  else if (n < 65536) {
    out[1] = 126;
    out.writeUInt16BE(n, 2);
  } else {
    out[1] = 127;
    out.writeUInt32BE(Math.floor(n / 2 ** 32), 2);
    out.writeUInt32BE(n >>> 0, 6);
  }
  out.set(payload, head);
  return out;
}

export function wsTransport(ws: WebSocket, socket?: Socket): Transport {
  const t: Transport = {
    onmessage: null,
    onclose: null,
    ontext: null,
    oncontrol: null,
    // The socket's own queue: what ws would add to it is only what it holds back while
    // compressing or reading a Blob, and this server does neither. One property read fewer per
    // client and snapshot than ws's getter, which walks to the socket and its sender.
    get bufferedAmount() {
      return socket ? socket.writableLength : ws.bufferedAmount;
    },
    send(frame) {
      if (ws.readyState !== ws.OPEN) return;
      if (socket && socket.writable) socket.write(binaryFrame(frame));
      // ws keeps what it is given until written: a copy, as the caller may reuse the bytes.
      else ws.send(Buffer.from(frame), { binary: true });
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
