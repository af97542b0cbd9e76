/**
 * One attacker: a loop that opens a connection, attacks in one of several ways, lets go, and
 * starts again (the server disconnects attackers for their errors and floods; they come back).
 *
 *   joined  HELLO, then a stream of valid, random, mutated, boundary, text, oversize and
 *           control frames on a joined connection
 *   prejoin the same without joining first
 *   order   valid messages in the wrong order or state (before HELLO, HELLO twice, after
 *           LEAVE, a stolen resume token, seqs backwards, a command replayed, acks of the future)
 *   http    a malformed HTTP request or upgrade over raw TCP
 *   framing bad WebSocket framing after a good upgrade
 */
import { LIMITS, type GameProtocol } from '@tickwire/protocol';
import { AttackConnection } from './attack-connection.js';
import { FrameFactory, type FrameCategory } from './frames.js';
import { HTTP_ATTACKS, WS_FRAME_ATTACKS, rawExchange, rawWebSocket, type RawTarget } from './http-attacks.js';
import { Rng } from './raw.js';
import { bump, type FuzzStats, type Pacer } from './stats.js';

export interface AttackTarget extends RawTarget {
  wsUrl: string;
  game: GameProtocol;
  maxFrameBytes: number;
  /** The honest players' room, and rooms of the attackers' own. */
  honestRoom: string;
  otherRooms: readonly string[];
}

export type AttackMode = 'joined' | 'prejoin' | 'order' | 'http' | 'framing';

const MODE_WEIGHTS: Readonly<Record<AttackMode, number>> = { joined: 6, prejoin: 1.5, order: 2, http: 0.8, framing: 0.3 };
const JOINED_MIX: Readonly<Record<FrameCategory | 'control', number>> = { valid: 3, random: 2, mutated: 2.5, boundary: 3.5, text: 0.15, oversize: 0.04, control: 0.2 };
const PREJOIN_MIX: Readonly<Record<FrameCategory | 'control', number>> = { valid: 0, random: 3, mutated: 2, boundary: 3, text: 0.3, oversize: 0.05, control: 0.1 };

export class Attacker {
  private readonly frames: FrameFactory;

  constructor(
    private readonly target: AttackTarget,
    private readonly stats: FuzzStats,
    private readonly pacer: Pacer,
    private readonly rng: Rng,
    /** False once the run has sent enough (or the server died). */
    private readonly going: () => boolean,
  ) {
    this.frames = new FrameFactory(target.game, rng.fork(), target.maxFrameBytes);
  }

  async run(): Promise<void> {
    while (this.going()) {
      const mode = this.rng.weighted(MODE_WEIGHTS);
      await this[mode]();
    }
  }

  private room(): string {
    return this.rng.chance(0.35) ? this.target.honestRoom : this.rng.pick(this.target.otherRooms);
  }

  private open(room = this.room()): Promise<AttackConnection | undefined> {
    return AttackConnection.open(this.target.wsUrl, this.target.localAddress, this.target.game, this.stats, room);
  }

  /** Sends `n` frames drawn from `mix`, paced, while the connection lasts. */
  private async stream(c: AttackConnection, n: number, mix: Readonly<Record<FrameCategory | 'control', number>>): Promise<void> {
    for (let i = 0; i < n && c.open && this.going(); i++) {
      await this.pacer.take();
      const category = this.rng.weighted(mix);
      if (category === 'control') {
        c.ping(this.rng.bytes(this.rng.int(126)));
        continue;
      }
      const f = this.frames.make(category, c.view);
      await c.send(f.category, f.label, f.data);
    }
  }

  private end(c: AttackConnection): void {
    const how = this.rng.int(4);
    if (how === 0 && c.view.joined) void c.send('valid', 'LEAVE', this.frames.codec.leave());
    if (how <= 1) c.close();
    else if (how === 2) c.terminate();
    else c.close(this.rng.pick([1000, 1001, 3000, 4000, 4999]));
  }

  async joined(): Promise<void> {
    const c = await this.open();
    if (!c) return;
    await this.pacer.take();
    await c.send('valid', 'HELLO', this.frames.hello(c.view.room, `fz${this.rng.int(1000)}`));
    await c.waitWelcome(3000);
    await this.stream(c, this.rng.range(20, 300), JOINED_MIX);
    this.end(c);
  }

  async prejoin(): Promise<void> {
    const c = await this.open();
    if (!c) return;
    await this.stream(c, this.rng.range(5, 60), PREJOIN_MIX);
    this.end(c);
  }

  /** Valid messages in the wrong order or state. */
  async order(): Promise<void> {
    const r = this.rng;
    const f = this.frames;
    const codec = f.codec;
    const c = await this.open();
    if (!c) return;
    const send = async (label: string, data: Uint8Array) => {
      await this.pacer.take();
      return c.send('order', label, data);
    };
    const hello = (resume?: Uint8Array, hash?: number, room = c.view.room) => send(`HELLO${resume ? ' resume' : ''}${hash !== undefined ? ` hash=${hash}` : ''}`, f.hello(room, `ord${r.int(100)}`, resume, hash));
    const input = (seq: number) => send(`INPUT seq=${seq}`, codec.input(c.view.lastTick, [{ seq, time: Date.now() >>> 0, input: {} }]));
    const script = r.int(10);
    switch (script) {
      case 0: // everything before HELLO, then HELLO
        await input(1);
        await send('ACK', codec.ack(1));
        await send('PING', codec.ping(1, 1));
        await send('CHAT', codec.chat('early'));
        await send('COMMAND', codec.command(1, 'combat', 'fire', 0, 0, { angle: 1 }));
        await send('LEAVE', codec.leave());
        await hello();
        await c.waitWelcome(2000);
        break;
      case 1: // HELLO twice before WELCOME, then once more after it
        await hello();
        await hello();
        await c.waitWelcome(2000);
        await hello();
        break;
      case 2: // LEAVE, then carry on as if joined
        await hello();
        await c.waitWelcome(2000);
        await send('LEAVE', codec.leave());
        await input(1);
        await send('COMMAND', codec.command(1, 'combat', 'fire', 0, 0, { angle: 1 }));
        break;
      case 3: // someone else's resume token (or a made-up one)
        await hello(this.stats.resumeTokens.length && r.chance(0.8) ? r.pick(this.stats.resumeTokens) : r.bytes(16));
        await c.waitWelcome(2000);
        break;
      case 4: // input seqs backwards, repeated, jumping to the limit and back
        await hello();
        if (!(await c.waitWelcome(2000))) break;
        for (const seq of [5, 4, 4, 3, LIMITS.maxSeq, 1, LIMITS.maxSeq - 1, 6, 0]) await input(seq);
        break;
      case 5: // one command seq, many payloads; seq 0; the limit
        await hello();
        if (!(await c.waitWelcome(2000))) break;
        for (const seq of [7, 7, 7, 0, LIMITS.maxSeq, LIMITS.maxSeq]) {
          await send(`COMMAND seq=${seq}`, codec.command(seq, 'build', 'wall', c.view.entity, Date.now() >>> 0, { cx: r.int(30), cy: r.int(20) }));
        }
        break;
      case 6: // acks of ticks never sent, of the future, and full-snapshot requests
        await hello();
        if (!(await c.waitWelcome(2000))) break;
        for (const tick of [c.view.lastTick + 5000, 3, 0, 0, 0, LIMITS.maxSeq, c.view.lastTick]) await send(`ACK tick=${tick}`, codec.ack(tick));
        break;
      case 7: // a wrong protocol hash
        await hello(undefined, (f.game.hash ^ (1 << r.int(32))) >>> 0);
        await c.waitClosed(2000);
        break;
      case 8: // rooms that are not valid codes, or many fresh rooms
        await hello(undefined, undefined, r.pick(['', '-x', 'a'.repeat(65), `fz-new-${r.int(5)}`, 'x y']));
        await c.waitWelcome(1000);
        break;
      case 9: // a command for an entity that is not ours
        await hello();
        if (!(await c.waitWelcome(2000))) break;
        for (let i = 0; i < 5; i++) {
          await send('COMMAND other entity', codec.command(++c.view.commandSeq, 'combat', 'fire', r.range(1, 60), Date.now() >>> 0, { angle: 0 }));
        }
        break;
    }
    this.end(c);
  }

  async http(): Promise<void> {
    const attack = this.rng.pick(HTTP_ATTACKS);
    const bytes = attack.bytes(this.target.wsPath);
    await this.pacer.take();
    this.stats.sent('http', attack.label, typeof bytes === 'string' ? new TextEncoder().encode(bytes) : bytes);
    const out = await rawExchange(this.target, bytes);
    bump(this.stats.http, out.status);
    if (typeof out.status === 'number' && out.status >= 500) bump(this.stats.http5xx, attack.label);
    if (typeof out.status !== 'number') bump(this.stats.httpUnanswered, `${attack.label}: ${out.status}`);
  }

  async framing(): Promise<void> {
    const attack = this.rng.pick(WS_FRAME_ATTACKS);
    const valid = this.frames.hello(this.target.honestRoom, 'framing');
    await this.pacer.take();
    const frames = attack.frames(valid);
    this.stats.sent('framing', attack.label, frames[0] ?? new Uint8Array(0));
    const out = await rawWebSocket(this.target, frames);
    bump(this.stats.wsFraming, out.closeCode !== undefined ? `close ${out.closeCode}` : String(out.status));
  }
}
