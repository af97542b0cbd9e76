/**
 * One attacker's WebSocket: opens from a chosen source address, sends what it is given, and
 * reads what the server answers with the SDK's decoder: WELCOME (joined, own entity, resume
 * token), snapshot ticks (so acks and inputs can be plausible), ERROR and COMMAND_RESULT codes.
 * A server frame the decoder refuses is counted: the server must never write one.
 */
import { decodeServer, errorCodeName, type GameProtocol } from '@tickwire/protocol';
import WebSocket from 'ws';
import { toHex, type ConnectionView } from './frames.js';
import { bump, sleep, type FuzzStats } from './stats.js';

export class AttackConnection {
  readonly view: ConnectionView;
  private welcomed: (() => void) | undefined;
  private closedAt = 0;
  closeCode: number | undefined;
  closeReason = '';

  private constructor(
    private readonly ws: WebSocket,
    private readonly game: GameProtocol,
    private readonly stats: FuzzStats,
    room: string,
  ) {
    this.view = { joined: false, room, entity: 0, lastTick: 0, inputSeq: 0, commandSeq: 0, pingSeq: 0 };
    ws.on('message', (data: Buffer, isBinary: boolean) => this.receive(data, isBinary));
    ws.on('close', (code: number, reason: Buffer) => {
      this.closeCode = code;
      this.closeReason = reason.toString();
      this.closedAt = performance.now();
      bump(stats.connections.closedBy, code);
      this.welcomed?.();
    });
    // Writes after the server closed (an oversize frame, a flood) fail here; that is expected.
    ws.on('error', () => undefined);
  }

  /**
   * Opens a connection; undefined when the server refused it (the HTTP status or socket
   * error is counted under `connections.refused`).
   */
  static open(wsUrl: string, localAddress: string | undefined, game: GameProtocol, stats: FuzzStats, room: string): Promise<AttackConnection | undefined> {
    return new Promise((resolve) => {
      const ws = new WebSocket(wsUrl, { localAddress, perMessageDeflate: false, handshakeTimeout: 5000, maxPayload: 8 << 20 });
      let settled = false;
      const settle = (c: AttackConnection | undefined, refusal?: string) => {
        if (settled) return;
        settled = true;
        if (refusal !== undefined) bump(stats.connections.refused, refusal);
        resolve(c);
      };
      ws.once('open', () => {
        stats.connections.opened++;
        settle(new AttackConnection(ws, game, stats, room));
      });
      ws.once('unexpected-response', (req, res) => {
        settle(undefined, `http ${res.statusCode ?? 0}`);
        res.resume();
        req.destroy();
      });
      ws.once('error', (err: NodeJS.ErrnoException) => settle(undefined, err.code ?? err.message.slice(0, 40)));
      ws.once('close', (code: number) => settle(undefined, `close ${code}`));
    });
  }

  get open(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  /** Sends a frame (a string as a text frame) and counts it; false when the socket is gone. */
  async send(category: string, label: string, data: Uint8Array | string): Promise<boolean> {
    if (!this.open) return false;
    // Do not queue without bound behind a server that stopped reading us.
    while (this.ws.bufferedAmount > 1 << 20) {
      if (!this.open) return false;
      await sleep(5);
    }
    this.stats.sent(category, label, data);
    this.ws.send(data, { binary: typeof data !== 'string' });
    return true;
  }

  /** A WebSocket ping control frame: the server counts these like messages. */
  ping(payload: Uint8Array): boolean {
    if (!this.open) return false;
    this.stats.sent('control', `ws ping ${payload.length} bytes`, payload);
    this.ws.ping(payload);
    return true;
  }

  /** Waits for WELCOME, a close, or the timeout; true when joined. */
  waitWelcome(timeoutMs: number): Promise<boolean> {
    if (this.view.joined || !this.open) return Promise.resolve(this.view.joined);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.welcomed = undefined;
        resolve(this.view.joined);
      }, timeoutMs);
      this.welcomed = () => {
        clearTimeout(timer);
        this.welcomed = undefined;
        resolve(this.view.joined);
      };
    });
  }

  /** Waits until the server closes this connection, or the timeout. */
  async waitClosed(timeoutMs: number): Promise<number | undefined> {
    const end = performance.now() + timeoutMs;
    while (this.closedAt === 0 && performance.now() < end) await sleep(10);
    return this.closeCode;
  }

  close(code = 1000): void {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.close(code);
  }

  /** Drops the TCP connection without a close frame. */
  terminate(): void {
    this.ws.terminate();
  }

  private receive(data: Buffer, isBinary: boolean): void {
    if (!isBinary) {
      this.stats.undecodable++;
      this.sample(`text frame from the server: ${data.toString().slice(0, 80)}`);
      return;
    }
    let msg;
    try {
      msg = decodeServer(data, this.game);
    } catch (err) {
      this.stats.undecodable++;
      this.sample(`${(err as Error).message}: ${toHex(data)}`);
      return;
    }
    switch (msg.kind) {
      case 'welcome':
        this.view.joined = true;
        this.view.entity = msg.entity;
        this.view.lastTick = msg.tick;
        this.stats.keepResumeToken(msg.resumeToken);
        this.welcomed?.();
        break;
      case 'snapshot':
        this.view.lastTick = msg.tick;
        break;
      case 'error':
        bump(this.stats.errors, errorCodeName(msg.code));
        break;
      case 'commandResult':
        if (!msg.ok) bump(this.stats.commandResults, errorCodeName(msg.code));
        break;
      default:
        break;
    }
  }

  private sample(s: string): void {
    if (this.stats.undecodableSamples.length < 10) this.stats.undecodableSamples.push(s);
  }
}
