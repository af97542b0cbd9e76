/**
 * The arena in a real browser: Debian's chromium driven by playwright-core. Two pages join one
 * room; one ship moves by keyboard and the other page sees it; a wall placed with B appears on
 * the other page; a chat line arrives. A screenshot is saved to test-artifacts/.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
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
}

/** What a page's SDK room holds (the page exposes it as window.tickwire.room). */
function seen(page: Page): Promise<Seen> {
  return page.evaluate(() => {
    const room = (window as unknown as { tickwire: { room: { entityId: number; entities: Map<number, { id: number; typeName: string; state: Record<string, Record<string, unknown>> }> } } }).tickwire.room;
    const all = [...room.entities.values()];
    return {
      me: room.entityId,
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
  let context: BrowserContext;
  let staticDir: string;
  let profile: string;

  beforeAll(async () => {
    staticDir = await mkdtemp(join(tmpdir(), 'tickwire-arena-page-'));
    await build({ configFile: join(arenaDir, 'vite.config.ts'), root: join(arenaDir, 'src/client'), logLevel: 'warn', build: { outDir: staticDir, emptyOutDir: true } });
    server = createServer({ rooms: arenaRoom({ reconnectWindowMs: 0 }), staticDir, logger: silent, processMetrics: false });
    url = (await server.listen(0, '127.0.0.1')).url;
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
  }, 60_000);
});
