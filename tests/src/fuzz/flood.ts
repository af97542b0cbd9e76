/**
 * The flood phase: one source address opens more connections than it may, joins the honest
 * players' room with a few of them and sends as fast as the socket takes, then tries to come
 * straight back. What the server answers (HTTP statuses, ERROR codes, close codes) is recorded
 * so a run can check that every refusal carried a clear code, while the honest players, on
 * another address, keep their snapshots.
 */
import { MessageCodec, type GameProtocol } from '@tickwire/protocol';
import { AttackConnection } from './attack-connection.js';
import { FuzzStats, bump, sleep, type Counter } from './stats.js';

export interface FloodOptions {
  wsUrl: string;
  game: GameProtocol;
  room: string;
  localAddress: string | undefined;
  /** Connections to open at once (more than the per-address limit). */
  connections: number;
  /** Of those, how many join and flood. */
  flooders: number;
  /** Frames each flooder sends, unpaced. */
  framesPerFlooder: number;
}

export interface FloodReport {
  connectionsAttempted: number;
  connectionsOpened: number;
  /** Why the others did not open: HTTP status or close code. */
  connectionsRefused: Counter;
  frames: number;
  /** ERROR codes the flooders received. */
  errors: Counter;
  /** How the flooders' connections were closed. */
  closeCodes: Counter;
  /** Coming straight back from the same address after the flood. */
  reconnect: Counter;
}

export async function flood(o: FloodOptions): Promise<FloodReport> {
  const stats = new FuzzStats();
  const codec = new MessageCodec(o.game);
  const opening = Array.from({ length: o.connections }, () => AttackConnection.open(o.wsUrl, o.localAddress, o.game, stats, o.room));
  const conns = (await Promise.all(opening)).filter((c): c is AttackConnection => c !== undefined);
  // A connection the server accepted and then closed at once was refused too.
  await sleep(200);
  const live = conns.filter((c) => c.open);
  const refused: Counter = { ...stats.connections.refused };
  for (const c of conns) if (!c.open) bump(refused, `close ${c.closeCode ?? '?'}`);

  const flooders = live.slice(0, o.flooders);
  await Promise.all(
    flooders.map(async (c) => {
      await c.send('flood', 'HELLO', codec.hello({ room: o.room, name: 'flooder', token: '', resumeToken: undefined, protocolHash: o.game.hash }));
      if (!(await c.waitWelcome(3000))) return;
      const chat = codec.chat('flood');
      for (let i = 0; i < o.framesPerFlooder && c.open; i++) {
        const frame = i % 4 === 0 ? chat : codec.ping(i + 1, i);
        await c.send('flood', 'flood', frame);
        // Yield now and then so the socket drains and the server's answers are read.
        if (i % 500 === 499) await sleep(0);
      }
      await c.waitClosed(3000);
    }),
  );
  const closeCodes: Counter = {};
  for (const c of flooders) bump(closeCodes, c.open ? 'still open' : (c.closeCode ?? '?'));

  // Let go of everything, then come straight back from the same address.
  for (const c of live) c.close();
  await Promise.all(live.map((c) => c.waitClosed(2000)));
  const back = new FuzzStats();
  const again = await AttackConnection.open(o.wsUrl, o.localAddress, o.game, back, o.room);
  const reconnect: Counter = { ...back.connections.refused };
  if (again) {
    await again.send('flood', 'HELLO', codec.hello({ room: o.room, name: 'flooder', token: '', resumeToken: undefined, protocolHash: o.game.hash }));
    const joined = await again.waitWelcome(2000);
    bump(reconnect, joined ? 'joined' : `close ${(await again.waitClosed(2000)) ?? 'none'} ${again.closeReason}`.trim());
    for (const [code, n] of Object.entries(back.errors)) bump(reconnect, `error ${code}`, n);
    again.close();
  }
  return {
    connectionsAttempted: o.connections,
    connectionsOpened: live.length,
    connectionsRefused: refused,
    frames: stats.total,
    errors: stats.errors,
    closeCodes,
    reconnect,
  };
}
