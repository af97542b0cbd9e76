/**
 * The transport seam: what the server and the client need from a connection, and nothing more.
 * WebSockets (ws on the server, the browser's WebSocket or ws in the SDK) are adapters of it;
 * the in-memory pipe here lets a server and clients run in one process with no sockets.
 */

/** One end of a message-oriented, reliable, ordered connection. */
export interface Transport {
  /**
   * Sends a binary frame. The bytes are the caller's and valid only during the call (the server
   * builds every client's snapshot in one reused buffer): a transport that keeps them past the
   * call copies them.
   */
  send(frame: Uint8Array): void;
  /** Bytes queued for sending and not yet handed to the network. */
  readonly bufferedAmount: number;
  close(code: number, reason: string): void;
  /**
   * Drops the connection at once, discarding what is queued (no closing handshake). For a peer
   * that stopped reading: a graceful close would wait behind its backlog. Optional: `close` is
   * used where a transport has no such thing.
   */
  abort?(): void;
  /**
   * Set by the owner of this end: a binary frame arrived. The bytes are valid only during the
   * call: a transport may reuse its buffer afterwards (uWebSockets.js does), so copy what you keep.
   */
  onmessage: ((frame: Uint8Array) => void) | null;
  onclose: ((code: number, reason: string) => void) | null;
  /**
   * Set by the owner: a text frame arrived, on transports that carry text (the tickwire
   * protocol is binary: the server counts it and refuses it).
   */
  ontext?: ((text: string) => void) | null;
  /** Set by the owner: a ping or pong control frame arrived, on transports that have them. */
  oncontrol?: (() => void) | null;
  /** Sends a text frame, on transports that carry text (tests of the refusal use it). */
  sendText?(text: string): void;
  /**
   * Frames may be lost or overtaken on the way (a datagram transport, or the network conditioner
   * with loss or reordering). The server then takes snapshot deltas against acknowledged
   * snapshots; over a reliable transport (absent or false) against the last one sent.
   */
  readonly unreliable?: boolean;
}

/**
 * Two connected transports in memory. Delivery is asynchronous (a microtask) by default, as on
 * a real socket; pass a `deliver` function to schedule it otherwise (the network conditioner
 * does, to add latency and loss).
 */
export function createMemoryPipe(deliver: (fn: () => void) => void = queueMicrotask): [Transport, Transport] {
  let open = true;
  const make = (): Transport & { peer?: Transport; queued: number } => ({
    queued: 0,
    onmessage: null,
    onclose: null,
    get bufferedAmount() {
      return this.queued;
    },
    sendText(text) {
      if (!open) return;
      deliver(() => this.peer?.ontext?.(text));
    },
    send(frame) {
      if (!open) return;
      const copy = frame.slice();
      this.queued += copy.length;
      // Frames sent before a close are still delivered, in order, as on a socket.
      deliver(() => {
        this.queued -= copy.length;
        this.peer?.onmessage?.(copy);
      });
    },
    close(code, reason) {
      if (!open) return;
      open = false;
      const peer = this.peer;
      deliver(() => {
        peer?.onclose?.(code, reason);
        this.onclose?.(code, reason);
      });
    },
  });
  const a = make();
  const b = make();
  a.peer = b;
  b.peer = a;
  return [a, b];
}
