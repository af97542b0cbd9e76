/**
 * The bridge in a real browser: Debian's chromium driven by playwright-core. Two pages (two
 * players: each tab is its own) create and join one session from the lobby page (with its
 * password), chat, take the helm and weapons of the same ship, mark themselves ready and start; the helm steers by keyboard and
 * the weapons page sees the ship move; the weapons page reloads and comes back to its console;
 * the host ends the mission and both pages show the results. Screenshots go to test-artifacts/.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bridgeRoom } from '@tickwire/bridge/room';
import { createServer, type TickwireServer } from '@tickwire/server';
import { chromium, type Browser, type Page } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silent } from './game.js';
import { unavailable } from './services.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const skip = unavailable('Chromium', existsSync(CHROMIUM), 'install it with "apt-get install chromium" (or set CHROMIUM_PATH)');
const bridgeDir = fileURLToPath(new URL('../../examples/bridge/', import.meta.url));
const artifacts = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));

/** What a page shows and plays (the page exposes it as window.bridge). */
interface Seen {
  view: string;
  clientId: number;
  seat: { ship: number; console: string } | null;
  /** Where this page sees ship 1 (the first player ship), if it does. */
  ship: { x: number; y: number } | null;
}

function seen(page: Page): Promise<Seen> {
  return page.evaluate(() => {
    const hook = window.bridge;
    const room = hook?.room;
    let ship: { x: number; y: number } | null = null;
    for (const e of room?.entities.values() ?? []) {
      if (e.typeName === 'ship' && e.state.tag.ship === 1) ship = { x: e.state.position.x, y: e.state.position.y };
    }
    return { view: hook?.view ?? 'loading', clientId: room?.clientId ?? 0, seat: hook?.seat ?? null, ship };
  });
}

/** Polls what a page shows until `ok` holds (a real browser: no stepped clock here). */
async function until(page: Page, ok: (s: Seen) => boolean, what: string, timeoutMs = 10_000): Promise<Seen> {
  let last: Seen | undefined;
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; await page.waitForTimeout(50)) {
    last = await seen(page);
    if (ok(last)) return last;
  }
  throw new Error(`timed out waiting for ${what}: last saw ${JSON.stringify(last)}`);
}

describe.skipIf(skip !== undefined)('bridge in Chromium', () => {
  let server: TickwireServer;
  let url: string;
  let browser: Browser;
  let staticDir: string;

  beforeAll(async () => {
    staticDir = await mkdtemp(join(tmpdir(), 'tickwire-bridge-page-'));
    await build({ configFile: join(bridgeDir, 'vite.config.ts'), root: join(bridgeDir, 'src/client'), logLevel: 'warn', build: { outDir: staticDir, emptyOutDir: true } });
    server = createServer({ rooms: { bridge: bridgeRoom() }, staticDir, logger: silent, processMetrics: false, secret: 'bridge-browser-test-secret-0123456789' });
    url = (await server.listen(0, '127.0.0.1')).url;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await rm(staticDir, { recursive: true, force: true });
  });

  it('two players crew one ship from the lobby, fly it, survive a reload, and see the results', async () => {
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    const ada = await context.newPage();
    const bob = await context.newPage();
    const errors: string[] = [];
    for (const p of [ada, bob]) p.on('pageerror', (e) => errors.push(e.message));

    // Ada creates the session with a password; Bob finds it in the list and joins with it.
    await ada.goto(`${url}/?name=ada`);
    await ada.fill('#create-name', 'e2e');
    await ada.selectOption('#create-scenario', 'training');
    await ada.fill('#create-ships', '1');
    await ada.fill('#create-password', 'sesame');
    await ada.click('#create');
    await until(ada, (s) => s.view === 'lobby', 'the lobby on ada');
    await bob.goto(`${url}/?name=bob`);
    await bob.fill('#join-password', 'wrong');
    await bob.click('button[data-session]');
    await bob.waitForSelector('#list-error:text("password")');
    await bob.fill('#join-password', 'sesame');
    await bob.click('button[data-session]');
    await until(bob, (s) => s.view === 'lobby', 'the lobby on bob');
    await ada.fill('#chat-input', 'helm, take us out');
    await ada.press('#chat-input', 'Enter');
    await bob.waitForSelector('.chat li:has-text("ada: helm, take us out")');

    // Helm and weapons of the same ship, ready, start.
    await ada.click('button[data-seat="0:helm"]');
    await bob.click('button[data-seat="0:weapons"]');
    await ada.waitForSelector('td.mine');
    await bob.waitForSelector('td.mine');
    await ada.click('#ready');
    await bob.click('#ready');
    await ada.waitForSelector('.seats .ready >> nth=1');
    await ada.click('#start');
    await until(ada, (s) => s.view === 'bridge' && s.seat?.console === 'helm', 'the helm on ada');
    const before = await until(bob, (s) => s.view === 'bridge' && s.seat?.console === 'weapons' && s.ship !== null, 'the weapons console on bob');

    // The helm steers: impulse up, rudder held; the weapons console sees the ship go.
    await ada.bringToFront();
    for (let i = 0; i < 6; i++) await ada.keyboard.press('KeyW');
    await ada.keyboard.down('KeyD');
    await ada.waitForTimeout(600);
    await ada.keyboard.up('KeyD');
    const moved = await until(bob, (s) => s.ship !== null && Math.hypot(s.ship.x - before.ship!.x, s.ship.y - before.ship!.y) > 400, 'bob to see the ship move');
    expect(moved.seat).toEqual({ ship: 0, console: 'weapons' });
    await mkdir(artifacts, { recursive: true });
    await ada.screenshot({ path: join(artifacts, 'bridge-helm.png') });
    await bob.screenshot({ path: join(artifacts, 'bridge-weapons.png') });

    // A reload is the same player: back in the same membership, at the same console.
    await bob.reload();
    const back = await until(bob, (s) => s.view === 'bridge' && s.ship !== null, 'bob back on the bridge');
    expect(back.clientId).toBe(before.clientId);
    expect(back.seat).toEqual({ ship: 0, console: 'weapons' });

    // The host calls the mission off: both see the results, ship by ship.
    await ada.click('#end-mission');
    for (const p of [ada, bob]) {
      await until(p, (s) => s.view === 'results', 'the results');
      expect(await p.textContent('#results')).toContain('Artemis');
    }
    await bob.screenshot({ path: join(artifacts, 'bridge-results.png') });
    expect(errors).toEqual([]);
    await context.close();
  }, 60_000);
});
