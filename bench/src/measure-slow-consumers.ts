/**
 * What clients that stop reading cost the server (issue 9): honest players chat at the chat
 * limit while raw clients join, acknowledge one snapshot (so the server treats them as players)
 * and then stop reading. Reports the server's RSS before, at peak and after they are gone, when
 * and how they were dropped, the longest tick and event-loop stall, and what the honest players
 * saw meanwhile (snapshot rate, longest gap between snapshots, chat lines delivered).
 *
 *   npm run measure:slow-consumers -- [--duration 60] [--slow 50] [--players 20] [--chatters 10]
 *     [--chat-rate 2] [--npcs 0] [--warmup 5] [--after 10] [--json]
 *
 * Timeline: players join and start moving (inputs at 20 Hz) and chatting (`--chat-rate` lines/s
 * each, default the server's chat limit of 2; lines near the 200-character limit; `--npcs`
 * server-driven ships make snapshots bigger); `--warmup` s of baseline; the slow clients join;
 * chat goes on for `--duration` s. "Gone" is when the server holds no slow client's TCP socket any more (a
 * socket closed with a handshake keeps its backlog until the peer answers or a timeout ends it,
 * so seats freed is not memory freed). If slow clients are still seated when the chat window
 * ends, all slow sockets are closed from this side (the seated ones counted); if the server has
 * dropped them all, the sockets it is still closing are left to it. The "after" sample is `--after` s after they are gone;
 * the load goes on until it is taken, so "before" and "after" see the same traffic.
 *
 * The server runs in a child process with `--expose-gc`; the "before" and "after" RSS are read
 * right after forcing a full collection there (the GC time is reported), so that garbage not yet
 * collected does not count as kept. Peak RSS is sampled from /proc every 50 ms, from the slow
 * clients' join until they are gone. What the kernel holds for the server's connections (socket
 * queues, not in RSS) is read from /proc/net/tcp: a client that stops reading fills those first.
 */
import { fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { connect, type ClientRoom } from '@tickwire/client/node';
import { FrameEncoder, Kind, peekEnvelope } from '@tickwire/protocol';
import WebSocket from 'ws';
import { flags, num } from './args.js';
import { rssBytes } from './proc.js';
import { pickDirection, rng, scene, type Scene } from './scene.js';
import type { ChildMessage, ServerStatus, StatusRequest } from './slow-consumer-server.js';

const f = flags();
const duration = num(f, 'duration', 60);
const slowCount = num(f, 'slow', 50);
const players = num(f, 'players', 20);
const chatters = Math.min(players, num(f, 'chatters', 10));
const chatRate = num(f, 'chat-rate', 2);
const npcs = num(f, 'npcs', 0);
const warmup = num(f, 'warmup', 5);
const settle = num(f, 'after', 10);
const ROOM = 'bench';
/** How long the server may take to let go of the slow sockets after the chat window ends. */
const GONE_TIMEOUT_S = 90;
const CHAT_LINE_CHARS = 196;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const mb = (bytes: number) => Math.round((bytes / 1048576) * 10) / 10;
const r1 = (x: number) => Math.round(x * 10) / 10;
const r2 = (x: number) => Math.round(x * 100) / 100;

// A run that hangs (a server that never lets go, a join that never completes) still ends.
const budgetMs = (warmup + duration + settle + GONE_TIMEOUT_S + 60) * 1000;
const watchdog = setTimeout(() => {
  console.error(`measure-slow-consumers: no result after ${budgetMs / 1000} s: giving up`);
  child.kill('SIGKILL');
  process.exit(1);
}, budgetMs);

const child = fork(fileURLToPath(new URL('./slow-consumer-server.ts', import.meta.url)), ['--npcs', String(npcs)], {
  execArgv: ['--expose-gc', '--conditions=source', '--import', 'tsx'],
  stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
});

function isChildMessage(m: unknown): m is ChildMessage {
  return typeof m === 'object' && m !== null && 'type' in m && (m.type === 'ready' || m.type === 'status');
}

const answers = new Map<number, (s: ServerStatus) => void>();
let nextId = 1;
const ready = await new Promise<{ wsUrl: string; pid: number }>((resolve, reject) => {
  child.once('exit', (code) => reject(new Error(`server process exited with ${code}`)));
  child.on('message', (m: unknown) => {
    if (!isChildMessage(m)) return;
    if (m.type === 'ready') resolve(m);
    else {
      answers.get(m.id)?.(m);
      answers.delete(m.id);
    }
  });
});

/**
 * Bumped before and after each forced collection (odd while one is in flight): a snapshot gap
 * that touches one is the pause we asked for, not a stall of the server's, and is left out.
 */
let gcEpoch = 0;

/** Asks the server process for its status (after a full GC with `gc`). */
async function status(req: Omit<StatusRequest, 'id'> = {}): Promise<ServerStatus> {
  const id = nextId++;
  if (req.gc) gcEpoch++;
  const answer = await new Promise<ServerStatus>((resolve) => {
    answers.set(id, resolve);
    child.send({ id, ...req } satisfies StatusRequest);
  });
  if (req.gc) gcEpoch++;
  return answer;
}

/**
 * RSS right after a forced full collection in the server (and before it). Ticks the room drops
 * while catching up after that pause are ours, not the server's: counted apart.
 */
async function collected(): Promise<{ status: ServerStatus; rss: number; rssNoGc: number; ticksDroppedByGc: number }> {
  const pre = await status();
  const rssNoGc = rssBytes(ready.pid);
  const st = await status({ gc: true });
  const rss = rssBytes(ready.pid);
  await sleep(1000);
  const post = await status();
  return { status: st, rss, rssNoGc, ticksDroppedByGc: post.ticksDropped - pre.ticksDropped };
}

/**
 * Bytes the kernel holds for the server's connections (Linux /proc/net/tcp): sent by the server
 * and not yet acknowledged, and received by the clients and not read. Not in the server's RSS.
 */
function kernelQueues(port: number): { serverSend: number; clientReceive: number } {
  let serverSend = 0;
  let clientReceive = 0;
  for (const line of readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)) {
    const cols = line.trim().split(/\s+/);
    if (cols.length < 5) continue;
    const localPort = parseInt(cols[1]!.split(':')[1] ?? '', 16);
    const remotePort = parseInt(cols[2]!.split(':')[1] ?? '', 16);
    const [tx = '0', rx = '0'] = cols[4]!.split(':');
    if (localPort === port) serverSend += parseInt(tx, 16);
    else if (remotePort === port) clientReceive += parseInt(rx, 16);
  }
  return { serverSend, clientReceive };
}
const serverPort = Number(new URL(ready.wsUrl).port);

type Phase = 'warmup' | 'before' | 'during' | 'after';
let phase: Phase = 'warmup';
const gaps: Record<Phase, number> = { warmup: 0, before: 0, during: 0, after: 0 };

// Honest players: the real SDK, moving, half of them (by default) chatting at the limit.
const rooms: ClientRoom<Scene>[] = [];
let chatReceived = 0;
let chatSent = 0;
let honestDrops = 0;
const refusals = new Map<string, number>();
for (let i = 0; i < players; i++) {
  const room = await connect({ url: ready.wsUrl, room: ROOM, name: `player-${i}`, protocol: scene, interpolation: false, reconnect: false });
  let last = 0;
  let epoch = gcEpoch;
  room.on('snapshot', () => {
    const now = performance.now();
    if (last > 0 && epoch === gcEpoch && gcEpoch % 2 === 0) gaps[phase] = Math.max(gaps[phase], now - last);
    last = now;
    epoch = gcEpoch;
  });
  room.on('chat', () => chatReceived++);
  room.on('error', (e) => refusals.set(e.codeName, (refusals.get(e.codeName) ?? 0) + 1));
  room.on('close', () => honestDrops++);
  rooms.push(room);
}
const snapshots = () => rooms.reduce((a, r) => a + r.stats.snapshots, 0);

const random = rng(9);
const dirs = rooms.map(() => ({ ...pickDirection(random), next: 0 }));
const inputTimer = setInterval(() => {
  const now = performance.now();
  rooms.forEach((r, i) => {
    const d = dirs[i]!;
    if (now >= d.next) Object.assign(d, pickDirection(random), { next: now + 500 + random() * 1000 });
    if (r.isOpen) r.sendInput({ dx: d.dx, dy: d.dy });
  });
}, 50);

const filler = 'the quick brown fox jumps over the lazy dog while the server keeps its tick '.repeat(4);
const chatTimers: NodeJS.Timeout[] = [];
for (let i = 0; i < chatters; i++) {
  const room = rooms[i]!;
  let n = 0;
  // Staggered so the chatters' lines arrive spread over each interval, as real chat would.
  const every = 1000 / chatRate;
  const start = setTimeout(() => {
    chatTimers.push(
      setInterval(() => {
        if (!room.isOpen) return;
        room.chat(`${i}:${n++} ${filler}`.slice(0, CHAT_LINE_CHARS));
        chatSent++;
      }, every),
    );
  }, (i * every) / chatters);
  chatTimers.push(start);
}

await sleep(1000);
phase = 'before';
const start = await status({ reset: true });
const snapsBefore0 = snapshots();
const tBefore = performance.now();
await sleep(warmup * 1000);
const snapsBefore1 = snapshots();
const beforeSecs = (performance.now() - tBefore) / 1000;
const beforeSample = await collected();
const before = beforeSample.status;
const rssBefore = beforeSample.rss;

// The slow clients: raw sockets that join, acknowledge their first snapshot, and stop reading.
phase = 'during';
const slow0 = await status();
const tSlow = performance.now();
const snapsSlow0 = snapshots();
const since = () => (performance.now() - tSlow) / 1000;
let peak = { rss: 0, at: 0 };
const rssTimer = setInterval(() => {
  const rss = rssBytes(ready.pid);
  if (rss > peak.rss) peak = { rss, at: since() };
}, 50);

function bytesOf(data: WebSocket.RawData): Uint8Array {
  return Array.isArray(data) ? Buffer.concat(data) : data instanceof ArrayBuffer ? new Uint8Array(data) : data;
}

async function joinSlow(i: number): Promise<WebSocket> {
  const ws = new WebSocket(ready.wsUrl);
  // A dropped socket can report a reset when it is closed from this side at the end.
  ws.on('error', () => undefined);
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('close', (code) => reject(new Error(`slow-${i}: closed with ${code} before opening`)));
  });
  const frames = new FrameEncoder();
  ws.send(frames.hello({ room: ROOM, name: `slow-${i}`, token: '', resumeToken: undefined, protocolHash: scene.hash }));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`slow-${i}: no snapshot within 10 s of HELLO`)), 10_000);
    const onMessage = (data: WebSocket.RawData) => {
      const envelope = peekEnvelope(bytesOf(data));
      if (envelope?.kind !== Kind.SNAPSHOT) return;
      ws.off('message', onMessage);
      clearTimeout(timer);
      // The ACK makes it a player the server keeps state for; the snapshot's seq is its tick.
      ws.send(frames.ack(envelope.seq));
      // ws's own pause: it also keeps the socket paused when its parser drains.
      ws.pause();
      resolve();
    };
    ws.on('message', onMessage);
    ws.once('close', (code) => reject(new Error(`slow-${i}: closed with ${code} while joining`)));
  });
  return ws;
}

const slow = await Promise.all(Array.from({ length: slowCount }, (_, i) => joinSlow(i)));
const joinedIn = since();

const drops: { at: number; n: number }[] = [];
let tooSlowSeen = before.tooSlow;
let seatsFreedAt: number | undefined;
let goneAt: number | undefined;
let closedByScript = 0;
/** Slow sockets the server still held when this script stopped waiting for them. */
let stillHeld = 0;
let snapsDuring: { n: number; secs: number } | undefined;
let after: (Awaited<ReturnType<typeof collected>> & { at: number }) | undefined;
let externalPeak = before.external;
let kernelPeak = { serverSend: 0, clientReceive: 0, at: 0 };
let bytesOutDuring = 0;
// When the longest tick and event-loop delay happened (to the poll), in s from the slow join:
// a stall at the join, at a drop, or at the close tells a different story.
const longest = { tick: { ms: before.ticks.max, at: -1 }, loop: { ms: before.loopMax, at: -1 } };
const chatEnd = duration;

for (;;) {
  await sleep(250);
  const s = await status();
  const t = since();
  // Seats and sockets beyond the honest players' are the slow clients'.
  const honestOpen = rooms.filter((r) => r.isOpen).length;
  const slowSeated = Math.max(0, s.clients - honestOpen);
  const slowSockets = Math.max(0, s.sockets - honestOpen);
  if (goneAt === undefined) {
    externalPeak = Math.max(externalPeak, s.external);
    const q = kernelQueues(serverPort);
    if (q.serverSend + q.clientReceive > kernelPeak.serverSend + kernelPeak.clientReceive) kernelPeak = { ...q, at: t };
  }
  if (s.ticks.max > longest.tick.ms) longest.tick = { ms: s.ticks.max, at: r1(t) };
  if (s.loopMax > longest.loop.ms) longest.loop = { ms: s.loopMax, at: r1(t) };
  if (s.tooSlow > tooSlowSeen) {
    drops.push({ at: r1(t), n: s.tooSlow - tooSlowSeen });
    tooSlowSeen = s.tooSlow;
  }
  if (seatsFreedAt === undefined && slowSeated === 0) seatsFreedAt = t;
  if (goneAt === undefined && slowSockets === 0) {
    goneAt = t;
    clearInterval(rssTimer);
  }
  if (!snapsDuring && t >= chatEnd) {
    snapsDuring = { n: snapshots() - snapsSlow0, secs: t };
    bytesOutDuring = s.bytesOut - slow0.bytesOut;
    phase = 'after';
    if (slowSeated > 0) {
      closedByScript = slowSeated;
      for (const ws of slow) ws.terminate();
    }
  }
  if (!after && goneAt !== undefined && t >= goneAt + settle) {
    const at = since();
    after = { ...(await collected()), at };
  }
  if (snapsDuring && after) break;
  if (goneAt === undefined && t > chatEnd + GONE_TIMEOUT_S) {
    // Reported, not thrown: what the server never let go of is a result too.
    stillHeld = slowSockets;
    goneAt = t;
    clearInterval(rssTimer);
  }
}

if (!snapsDuring || !after) throw new Error('unreachable: the loop ends only with both samples');
clearInterval(rssTimer);
clearInterval(inputTimer);
for (const timer of chatTimers) clearInterval(timer);
// Lines still in flight land before they are counted.
await sleep(1000);
const end = await status();

const expected = chatSent * players;
const result = {
  scenario: {
    players,
    chatters,
    chat_lines_per_s_each: chatRate,
    npcs,
    chat_line_chars: CHAT_LINE_CHARS,
    slow_clients: slowCount,
    chat_window_s: duration,
    limits: 'server defaults',
  },
  rss_mb: {
    before: mb(rssBefore),
    peak: mb(peak.rss),
    peak_at_s: r1(peak.at),
    after_no_gc: mb(after.rssNoGc),
    after: mb(after.rss),
    after_at_s: r1(after.at),
  },
  heap_mb: { before: mb(before.heapUsed), after: mb(after.status.heapUsed) },
  external_mb: { before: mb(before.external), peak: mb(externalPeak), after: mb(after.status.external) },
  kernel_socket_queues_mb_peak: { server_send: mb(kernelPeak.serverSend), client_receive: mb(kernelPeak.clientReceive), at_s: r1(kernelPeak.at) },
  server_out_mb_per_s: { before: r2((before.bytesOut - start.bytesOut) / 1048576 / beforeSecs), during: r2(bytesOutDuring / 1048576 / snapsDuring.secs) },
  gc_ms: { before: r1(before.gcMs), after: r1(after.status.gcMs) },
  slow: {
    joined: slow.length,
    joined_in_s: r1(joinedIn),
    dropped_too_slow: end.tooSlow - before.tooSlow,
    first_drop_s: drops[0]?.at ?? null,
    last_drop_s: drops.at(-1)?.at ?? null,
    drops,
    seats_freed_s: seatsFreedAt === undefined ? null : r1(seatsFreedAt),
    sockets_freed_s: goneAt === undefined ? null : r1(goneAt),
    closed_by_script_at_end: closedByScript,
    still_held_by_server: stillHeld,
  },
  ticks_ms: {
    before: { p50: r2(before.ticks.p50), p99: r2(before.ticks.p99), max: r2(before.ticks.max) },
    whole_run: { count: end.ticks.count, p50: r2(end.ticks.p50), p99: r2(end.ticks.p99), max: r2(end.ticks.max) },
    max_at_s: longest.tick.at,
    ticks_dropped: end.ticksDropped - before.ticksDropped - beforeSample.ticksDroppedByGc - after.ticksDroppedByGc,
    ticks_dropped_by_forced_gc: beforeSample.ticksDroppedByGc + after.ticksDroppedByGc,
    event_loop_delay_max: r2(end.loopMax),
    event_loop_delay_max_at_s: longest.loop.at,
  },
  snapshots_skipped: end.snapshotsSkipped - before.snapshotsSkipped,
  honest: {
    snapshots_per_player_s_before: r1((snapsBefore1 - snapsBefore0) / players / beforeSecs),
    snapshots_per_player_s_during: r1(snapsDuring.n / players / snapsDuring.secs),
    longest_snapshot_gap_ms: { before: Math.round(gaps.before), during: Math.round(gaps.during), after: Math.round(gaps.after) },
    disconnected: honestDrops,
    refusals: Object.fromEntries(refusals),
  },
  chat: { sent: chatSent, delivered: chatReceived, expected, delivered_ratio: expected === 0 ? 1 : r2(chatReceived / expected) },
};

if (f.has('json')) console.log(JSON.stringify(result));
else {
  const { rss_mb: rss, slow: sl, ticks_ms: tk, honest: h, chat } = result;
  const kq = result.kernel_socket_queues_mb_peak;
  console.log(`${players} players (${chatters} chatting at ${chatRate} lines/s), ${npcs} NPCs, ${slowCount} clients that stop reading, ${duration} s chat window; server limits at defaults`);
  console.log(`  server RSS   before ${rss.before} MB   peak ${rss.peak} MB (at ${rss.peak_at_s} s)   after ${rss.after} MB (${rss.after_no_gc} MB before GC)`);
  console.log(`  kernel       socket queues at peak: ${kq.server_send} MB unacknowledged server-side, ${kq.client_receive} MB unread client-side (at ${kq.at_s} s)`);
  console.log(`  slow clients dropped as TOO_SLOW: ${sl.dropped_too_slow} (first ${sl.first_drop_s} s, last ${sl.last_drop_s} s); sockets freed at ${sl.sockets_freed_s} s; closed by this script: ${sl.closed_by_script_at_end}`);
  console.log(`  ticks        p99 ${tk.whole_run.p99} ms   max ${tk.whole_run.max} ms (at ${tk.max_at_s} s)   dropped ${tk.ticks_dropped}   longest event-loop delay ${tk.event_loop_delay_max} ms (at ${tk.event_loop_delay_max_at_s} s)`);
  console.log(`  honest       ${h.snapshots_per_player_s_before} → ${h.snapshots_per_player_s_during} snapshots/s   longest gap ${h.longest_snapshot_gap_ms.during} ms   disconnected ${h.disconnected}`);
  console.log(`  chat         ${chat.delivered} of ${chat.expected} lines delivered (${chat.sent} sent)`);
  console.log(`  (RSS before and after read right after a forced full GC in the server: ${result.gc_ms.before} ms and ${result.gc_ms.after} ms)`);
}

for (const r of rooms) if (r.isOpen) r.disconnect();
for (const ws of slow) ws.terminate();
clearTimeout(watchdog);
child.disconnect();
await new Promise((r) => child.once('exit', r));
