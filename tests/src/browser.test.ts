/**
 * The arena in a real browser: Debian's chromium driven by playwright-core. Two pages join one
 * room; one ship moves by keyboard and the other page sees it; a wall placed with B appears on
 * the other page; a chat line arrives. A screenshot is saved to test-artifacts/.
 *
 * Then the page's connection life: a reload comes back to the same ship, two tabs are two
 * pilots, a socket cut by the server is ridden out with a visible status, and a server restart
 * shows the server unreachable until it is back. Each test closes its pages, so the sockets open
 * on the server are the current test's.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { arenaRoom } from '@tickwire/arena/room';
import { createServer, type TickwireServer } from '@tickwire/server';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silent } from './game.js';
import { unavailable } from './services.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const skip = unavailable('Chromium', existsSync(CHROMIUM), 'install it with "apt-get install chromium" (or set CHROMIUM_PATH)');
const arenaDir = fileURLToPath(new URL('../../examples/arena/', import.meta.url));
const artifacts = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));

interface Seen {
  ships: { id: number; name: string; x: number; y: number }[];
  walls: number;
  me: number;
  status: string;
  statusLog: string[];
  /** Inputs the server has applied: a page past this has played (a seat that never played is not kept). */
  acked: number;
}

/** What a page's SDK room holds (the page exposes it as window.tickwire.room); nothing before it joins. */
function seen(page: Page): Promise<Seen> {
  return page.evaluate(() => {
    type PageRoom = { entityId: number; status: string; ackedInput: number; entities: Map<number, { id: number; typeName: string; state: Record<string, Record<string, unknown>> }> };
    const hook = (window as unknown as { tickwire?: { room: PageRoom; statusLog: string[] } }).tickwire;
    if (!hook) return { me: 0, walls: 0, ships: [], status: 'joining', statusLog: [], acked: 0 };
    const room = hook.room;
    const all = [...room.entities.values()];
    return {
      me: room.entityId,
      acked: room.ackedInput,
      status: room.status,
      statusLog: [...hook.statusLog],
      walls: all.filter((e) => e.typeName === 'wall').length,
      ships: all
        .filter((e) => e.typeName === 'ship')
        .map((e) => ({ id: e.id, name: String(e.state.pilot!.name), x: Number(e.state.position!.x), y: Number(e.state.position!.y) })),
    };
  });
}

async function until<T>(page: Page, probe: () => Promise<T>, ok: (v: T) => boolean, what: string, timeoutMs = 8000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: last saw ${JSON.stringify(v)}`);
    await page.waitForTimeout(50);
  }
}

describe.skipIf(skip !== undefined)('arena in Chromium', () => {
  let server: TickwireServer;
  let url: string;
  let port: number;
  let context: BrowserContext;
  let staticDir: string;
  let profile: string;
  /** Upgraded (game) sockets on the server, so a test can cut them as a network would. */
  let sockets: Socket[] = [];
  const secret = 'browser-test-secret-0123456789abcdef';

  /** The arena server, with a fixed secret so identities outlive a restart on the same port. */
  async function serve(onPort = 0): Promise<void> {
    server = createServer({ rooms: arenaRoom(), staticDir, logger: silent, processMetrics: false, secret });
    sockets = [];
    server.http.on('upgrade', (_req, socket: Socket) => sockets.push(socket));
    const addr = await server.listen(onPort, '127.0.0.1');
    url = addr.url;
    port = addr.port;
  }

  async function open(path: string): Promise<{ page: Page; errors: string[] }> {
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${url}${path}`);
    return { page, errors };
  }

  beforeAll(async () => {
    staticDir = await mkdtemp(join(tmpdir(), 'tickwire-arena-page-'));
    await build({ configFile: join(arenaDir, 'vite.config.ts'), root: join(arenaDir, 'src/client'), logLevel: 'warn', build: { outDir: staticDir, emptyOutDir: true } });
    await serve();
    profile = await mkdtemp(join(tmpdir(), 'tickwire-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1280, height: 800 },
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
  }, 60_000);

  afterAll(async () => {
    await context?.close();
    await server?.close();
    await rm(profile, { recursive: true, force: true });
    await rm(staticDir, { recursive: true, force: true });
  });

  it('two pages in one room see each other move, build and chat', async () => {
    const ada = await context.newPage();
    const bob = await context.newPage();
    const errors: string[] = [];
    for (const p of [ada, bob]) p.on('pageerror', (e) => errors.push(e.message));
    await ada.goto(`${url}/?room=e2e&name=ada`);
    await bob.goto(`${url}/?room=e2e&name=bob`);

    const adaId = (await until(ada, () => seen(ada), (s) => s.me > 0 && s.ships.length === 2, 'ada to see two ships')).me;
    const before = await until(bob, () => seen(bob), (s) => s.ships.some((x) => x.id === adaId), 'bob to see ada');
    const start = before.ships.find((s) => s.id === adaId)!;

    // Move ada with the keyboard: right if there is room, else left.
    const key = start.x < 600 ? 'KeyD' : 'KeyA';
    await ada.bringToFront();
    await ada.keyboard.down(key);
    await ada.waitForTimeout(700);
    await ada.keyboard.up(key);
    const moved = await until(bob, () => seen(bob), (s) => Math.abs(s.ships.find((x) => x.id === adaId)!.x - start.x) > 60, 'bob to see ada move');
    expect(moved.ships.find((x) => x.id === adaId)!.name).toBe('ada');

    // Place a wall one cell beside ada's ship: put the mouse there and press B.
    const target = await ada.evaluate((id) => {
      const room = (window as unknown as { tickwire: { room: { entities: Map<number, { state: Record<string, Record<string, number>> }> } } }).tickwire.room;
      const pos = room.entities.get(id)!.state.position!;
      const canvas = document.querySelector('canvas')!.getBoundingClientRect();
      const scale = Math.min(canvas.width / 1200, canvas.height / 800);
      const offX = (canvas.width - 1200 * scale) / 2;
      const offY = (canvas.height - 800 * scale) / 2;
      const wx = pos.x! + (pos.x! < 600 ? 60 : -60);
      return { x: canvas.left + offX + wx * scale, y: canvas.top + offY + pos.y! * scale };
    }, adaId);
    await ada.mouse.move(target.x, target.y);
    await ada.keyboard.press('KeyB');
    await until(bob, () => seen(bob), (s) => s.walls === 1, 'bob to see the wall');

    // Chat.
    await ada.fill('#chat-input', 'hello from ada');
    await ada.press('#chat-input', 'Enter');
    await until(bob, () => bob.textContent('#chat-lines'), (t) => (t ?? '').includes('ada: hello from ada'), 'the chat line on bob');

    await mkdir(artifacts, { recursive: true });
    await bob.screenshot({ path: join(artifacts, 'arena-two-players.png') });
    expect(errors).toEqual([]);
    await ada.close();
    await bob.close();
  }, 60_000);

  it('a reload comes back to the same ship, and the player has one ship afterwards', async () => {
    const { page: ada, errors } = await open('/?room=reload&name=ada');
    const { page: bob } = await open('/?room=reload&name=bob');
    // Each reload waits until ada has played: the server keeps no seat for a connection that never did.
    const before = await until(ada, () => seen(ada), (s) => s.me > 0 && s.ships.length === 2 && s.acked > 5, 'two ships');
    for (let i = 0; i < 3; i++) {
      await ada.reload();
      const after = await until(ada, () => seen(ada), (s) => s.me > 0 && s.ships.length === 2 && s.acked > 5, `ada back after reload ${i + 1}`);
      expect(after.me).toBe(before.me);
    }
    // Bob sees one ada, not one per reload, and the room holds two seats.
    const bobSees = await until(bob, () => seen(bob), (s) => s.ships.some((x) => x.id === before.me), 'bob to see ada');
    expect(bobSees.ships.filter((x) => x.name === 'ada')).toHaveLength(1);
    expect(server.rooms.get('reload')!.size).toBe(2);
    expect(errors).toEqual([]);
    await ada.close();
    await bob.close();
  }, 60_000);

  it('two tabs are two pilots, each kept across a reload; a refused name is not saved', async () => {
    const { page: one } = await open('/?room=tabs');
    const { page: two } = await open('/?room=tabs');
    const a = await until(one, () => seen(one), (s) => s.ships.length === 2, 'two pilots from two tabs');
    const b = await until(two, () => seen(two), (s) => s.me > 0 && s.acked > 5, 'the second tab joined and playing');
    expect(a.me).not.toBe(b.me);
    const nameOf = (s: Seen) => s.ships.find((x) => x.id === s.me)!.name;
    expect(nameOf(a)).not.toBe(nameOf(b));

    // A name past the protocol's limit is refused on the page, visibly, and the pilot keeps its name.
    await two.goto(`${url}/?room=tabs&name=${'x'.repeat(40)}`);
    const again = await until(two, () => seen(two), (s) => s.me > 0 && s.ships.length === 2, 'the second tab back');
    expect(again.me).toBe(b.me);
    expect(nameOf(again)).toBe(nameOf(b));
    expect(await two.textContent('#connection')).toMatch(/was refused \(it is 40 bytes long in UTF-8; the most is 32\)/);
    expect(await one.evaluate(() => (window as unknown as { tickwire: { room: { status: string } } }).tickwire.room.status)).toBe('connected');
    await one.close();
    await two.close();
  }, 60_000);

  it('a socket cut by the server shows the reconnecting status, and the page recovers its ship', async () => {
    const { page, errors } = await open('/?room=drop&name=ada');
    const before = await until(page, () => seen(page), (s) => s.me > 0 && s.ships.length === 1 && s.acked > 5, 'ada joined and playing');
    for (const s of sockets) if (!s.destroyed) s.destroy();
    const after = await until(page, () => seen(page), (s) => s.statusLog.includes('reconnected') && s.status === 'connected', 'the page to reconnect');
    expect(after.statusLog.some((l) => /reconnecting… attempt 1/.test(l))).toBe(true);
    const back = await until(page, () => seen(page), (s) => s.ships.length === 1 && s.me === before.me, 'the same ship');
    expect(back.ships[0]!.name).toBe('ada');
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);

  it('while the server is down the page says it is unreachable, and it plays on when the server is back', async () => {
    const { page, errors } = await open('/?room=restart&name=ada');
    await until(page, () => seen(page), (s) => s.me > 0, 'ada joined');
    await server.close();
    await until(page, () => seen(page), (s) => s.statusLog.some((l) => /server unreachable: retrying… attempt 2/.test(l)), 'the unreachable status');
    expect(await page.textContent('#connection')).toMatch(/server unreachable|reconnecting/);
    await serve(port);
    const back = await until(page, () => seen(page), (s) => s.status === 'connected' && s.ships.length === 1 && s.me > 0, 'the page back on the restarted server', 15_000);
    expect(back.statusLog.at(-1)).toMatch(/^reconnected/);
    expect(back.ships[0]!.name).toBe('ada');
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);
});
