/**
 * Adapts a WebSocket (the browser's, or `ws` in Node: they share this API) to the Transport
 * interface. Text frames are not part of the protocol and are ignored.
 */
import type { Transport } from '@tickwire/protocol';

/** The subset of the WebSocket API the SDK uses. */
export interface WebSocketLike {
  binaryType: string;
  readonly readyState: number;
  readonly bufferedAmount: number;
  send(data: Uint8Array): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
}

export type WebSocketConstructor = new (url: string) => WebSocketLike;

const OPEN = 1;

/** Wraps a socket; `opened` settles when it opens (or rejects if it closes first). */
export function webSocketTransport(ws: WebSocketLike): { transport: Transport; opened: Promise<void> } {
  ws.binaryType = 'arraybuffer';
  const transport: Transport = {
    onmessage: null,
    onclose: null,
    get bufferedAmount() {
      return ws.bufferedAmount;
    },
    send(frame) {
      // A browser's WebSocket copies what it is sent; ws in Node keeps it until written. The
      // caller may reuse the bytes after the call (Transport.send), so Node gets a copy.
      if (ws.readyState === OPEN) ws.send(frame.slice());
    },
    close(code, reason) {
      try {
        ws.close(code, reason);
      } catch {
        ws.close();
      }
    },
  };
  const opened = new Promise<void>((resolve, reject) => {
    ws.onopen = () => resolve();
    ws.onerror = () => undefined;
    ws.onclose = (ev) => {
      reject(new Error(`WebSocket closed before opening (${ev.code}${ev.reason ? ` ${ev.reason}` : ''})`));
      transport.onclose?.(ev.code, ev.reason);
    };
  });
  ws.onmessage = (ev) => {
    const data = ev.data;
    if (data instanceof ArrayBuffer) transport.onmessage?.(new Uint8Array(data));
    else if (ArrayBuffer.isView(data)) transport.onmessage?.(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  };
  return { transport, opened };
}
