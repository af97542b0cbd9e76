/**
 * The cluster's admin page in a real browser (Debian's chromium, driven by playwright-core): a
 * gateway and two game processes with players; the operator signs in with the admin token, sees
 * both processes with their load charts, the rooms with their players and the sessions, inspects
 * a room's entities, kicks a player, closes a room and drains a process, each carried out on the
 * process that runs it. A wrong token is refused on the page. Screenshots go to test-artifacts/.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { connect, createClient, type ClientRoom } from '@tickwire/client/node';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testGame, type TestGame } from './game.js';
import { ADMIN_TOKEN, testCluster, type TestCluster } from './gateway-support.js';
import { unavailable } from './services.js';
import { teams } from './teams-game.js';
import { eventually } from './wait.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const skip = unavailable('Chromium', existsSync(CHROMIUM), 'install it with "apt-get install chromium" (or set CHROMIUM_PATH)');
const adminProject = fileURLToPath(new URL('../../packages/gateway/admin/', import.meta.url));
const artifacts = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));

/** The text of every cell of a table's body, row by row. */
function rows(page: Page, table: string): Promise<string[][]> {
  return page.$$eval(`#${table} tbody tr`, (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '')));
}

/**
 * Clicks an action button twice: the first click asks "sure?", the second does it. With
 * `acrossRefresh`, the page redraws its tables in between, which must not lose the first click.
 */
async function confirmClick(page: Page, selector: string, acrossRefresh = false): Promise<void> {
  await page.click(selector);
  if (acrossRefresh) {
    const before = await page.textContent('#status');
    await page.waitForFunction((was) => document.getElementById('status')?.textContent !== was, before);
  }
  await page.click(selector);
}

describe.skipIf(skip !== undefined)('the admin page in Chromium', () => {
  let c: TestCluster;
  let browser: Browser;
  const players: ClientRoom<TestGame>[] = [];

  beforeAll(async () => {
    // The page's script is compiled by tsc, like the rest of the gateway.
    const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
    execFileSync(process.execPath, [tsc, '-b', adminProject], { stdio: 'inherit' });
    c = await testCluster(['p1', 'p2']);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    await mkdir(artifacts, { recursive: true });
  }, 60_000);

  afterAll(async () => {
    for (const p of players) p.leave();
    await browser?.close();
    await c?.close();
  });

  it('shows the cluster and acts on it', { timeout: 60_000 }, async () => {
    const ada = await connect({ gateway: c.url, create: 'game', name: 'ada', protocol: testGame });
    const bob = await connect({ gateway: c.url, room: ada.code, name: 'bob', protocol: testGame });
    const cy = await connect({ gateway: c.url, create: 'game', name: 'cy', protocol: testGame });
    players.push(ada, bob, cy);
    const home = (await c.registry.lookup(ada.code))!.owner;
    const other = (await c.registry.lookup(cy.code))!.owner;
    expect(other).not.toBe(home);
    const host = createClient({ gateway: c.url, protocol: teams, name: 'host' });
    const friday = await host.sessions.create('teams', { name: 'Friday' });

    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('pageerror', (err) => problems.push(err.message));
    await page.goto(`${c.url}/admin`);

    // A wrong token is refused, and the sign-in stays.
    await page.fill('#token', 'not-the-admin-token-at-all');
    await page.click('#signin button');
    await page.waitForFunction(() => document.getElementById('status')?.textContent?.includes('refused'));
    expect(await page.isVisible('#signin')).toBe(true);

    await page.fill('#token', ADMIN_TOKEN);
    await page.click('#signin button');
    await page.waitForSelector('#processes tbody tr');
    // Two processes, healthy, with their load drawn over time once a few samples are in.
    await eventually(async () => (await page.$$('#processes svg.chart polyline')).length === 6 || undefined, 'the load charts');
    const procs = await rows(page, 'processes');
    expect(procs.map((r) => [r[0], r[1]]).sort()).toEqual([
      ['p1', 'ok'],
      ['p2', 'ok'],
    ]);
    // Rooms with their process and players; the session in the sessions table.
    await eventually(async () => (await rows(page, 'rooms')).length === 3 || undefined, 'three rooms listed');
    const rooms = await rows(page, 'rooms');
    expect(rooms.find((r) => r[0] === ada.code)!.slice(1, 4)).toEqual(['game', home, '2']);
    expect((await rows(page, 'sessions')).map((r) => [r[0], r[1], r[3]])).toEqual([[friday.id, 'Friday', 'lobby']]);
    expect(rooms.find((r) => r[0] === friday.id)![4]).toBe('Friday (lobby)');
    await page.screenshot({ path: `${artifacts}admin-cluster.png`, fullPage: true });

    // Inspect ada's room: its players and its ships with their fields.
    await page.click(`#rooms tr[data-room="${ada.code}"] button[data-action="inspect"]`);
    await page.waitForSelector('#inspect:not([hidden]) #inspect-players tbody tr');
    expect((await rows(page, 'inspect-players')).map((r) => r[2]).sort()).toEqual(['ada', 'bob']);
    const entities = await rows(page, 'inspect-entities');
    expect(entities.map((r) => r[1])).toEqual(['ship', 'ship']);
    expect(entities.map((r) => (JSON.parse(r[2]!) as { label: { name: string } }).label.name).sort()).toEqual(['ada', 'bob']);
    expect(JSON.parse(entities[0]![2]!)).toMatchObject({ health: { hp: 100 } });
    await page.screenshot({ path: `${artifacts}admin-inspect.png`, fullPage: true });

    // Kick bob: his connection is closed by the process, and the page shows ada alone.
    await confirmClick(page, `#inspect-players tr:has(td:text-is("bob")) button[data-action="kick"]`);
    await eventually(() => bob.status === 'closed', "bob's connection to close");
    await eventually(async () => (await rows(page, 'inspect-players')).length === 1 || undefined, 'bob gone from the room');

    // Close ada's room.
    let adaClosed = 0;
    ada.on('close', ({ code }) => (adaClosed = code));
    await confirmClick(page, `#rooms tr[data-room="${ada.code}"] button[data-action="close"]`, true);
    expect(await eventually(() => adaClosed, "ada's connection to close")).toBe(4010);
    await eventually(async () => (await rows(page, 'rooms')).every((r) => r[0] !== ada.code) || undefined, 'the closed room to leave the list');

    // Drain the other process: the registry and the page say so.
    await confirmClick(page, `#processes tr[data-process="${other}"] button[data-action="drain"]`);
    await eventually(async () => (await c.processes.get(other))?.draining || undefined, 'the drain in the registry');
    await eventually(async () => (await rows(page, 'processes')).find((r) => r[0] === other)?.[1] === 'draining' || undefined, 'the page to show the drain');
    await page.screenshot({ path: `${artifacts}admin-drained.png`, fullPage: true });
    expect(problems).toEqual([]);
    friday.room.leave();
  });
});
