/**
 * `npm run cluster`: a tickwire cluster on this machine, for trying it out. A gateway on PORT
 * (default 8080) and three game processes (free ports) against the local Redis and PostgreSQL,
 * each process serving the arena and the bridge; the gateway serves both pages (/arena/ and
 * /bridge/) and the admin page (/admin), and sends every player to the process that runs their
 * room. Kill a game process (the pids are printed) and keep playing: its rooms open again on
 * the others and the pages reconnect by themselves. Ctrl-C stops everything.
 *
 * Environment: REDIS_URL (default redis://127.0.0.1:6379), DATABASE_URL (default
 * postgres://postgres@127.0.0.1:5432/tickwire, created if missing), PORT, TICKWIRE_SECRET and
 * TICKWIRE_ADMIN_TOKEN (default: made once and kept in data/cluster/), TICKWIRE_PROCESSES
 * (default 3), and what `tickwire serve` reads besides (TICKWIRE_HEARTBEAT_MS...). See
 * docs/scaling.md.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { postgresAdmin, postgresReachable } from '@tickwire/storage/testing';
import { Redis } from 'ioredis';
import { build } from 'vite';

const root = fileURLToPath(new URL('../', import.meta.url));
const dataDir = `${root}data/cluster/`;
const publicDir = `${dataDir}public/`;
// A copy taken before vite runs: its build sets NODE_ENV=production, which the processes must not inherit.
const env = { ...process.env };
const redisUrl = env.REDIS_URL || 'redis://127.0.0.1:6379';
const databaseUrl = env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/tickwire';
const port = env.PORT || '8080';
const count = Number(env.TICKWIRE_PROCESSES || 3);

function fail(message: string): never {
  console.error(`npm run cluster: ${message}`);
  process.exit(1);
}

/** A secret kept in data/cluster/, made once: restarts keep anonymous players and admin tokens. */
async function kept(name: string, given: string | undefined): Promise<string> {
  if (given) return given;
  const file = `${dataDir}${name}`;
  if (existsSync(file)) return (await readFile(file, 'utf8')).trim();
  const made = randomBytes(32).toString('base64url');
  await writeFile(file, `${made}\n`, { mode: 0o600 });
  return made;
}

async function checkRedis(): Promise<void> {
  const probe = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 2000 });
  try {
    await probe.connect();
    await probe.ping();
  } catch (err) {
    fail(`Redis does not answer at ${redisUrl} (${(err as Error).message}): start it (redis-server) or set REDIS_URL`);
  } finally {
    probe.disconnect();
  }
}

/** PostgreSQL at DATABASE_URL; its database is created when the server is there but the database is not. */
async function checkPostgres(): Promise<void> {
  if (await postgresReachable(databaseUrl)) return;
  const url = new URL(databaseUrl);
  const name = url.pathname.slice(1);
  url.pathname = '/postgres';
  if (!/^[a-z_][a-z0-9_]*$/.test(name) || !(await postgresReachable(url.toString()))) {
    fail(`PostgreSQL does not answer at ${databaseUrl}: start it, or set DATABASE_URL`);
  }
  await postgresAdmin(url.toString(), (c) => c.query(`create database ${name}`));
  console.error(`created the database ${name}`);
}

/** Builds an example's page into public/<name>/, served by the gateway under /<name>/. */
async function buildPage(name: 'arena' | 'bridge'): Promise<void> {
  const dir = `${root}examples/${name}/`;
  await build({ configFile: `${dir}vite.config.ts`, root: `${dir}src/client`, base: `/${name}/`, logLevel: 'warn', build: { outDir: `${publicDir}${name}`, emptyOutDir: true } });
}

const INDEX = `<!doctype html>
<meta charset="utf-8"><title>tickwire cluster</title>
<style>body{font:16px system-ui,sans-serif;margin:3rem}li{margin:.5rem 0}</style>
<h1>tickwire cluster</h1>
<ul>
  <li><a href="/arena/">Arena</a> (add <code>?room=abc</code> to pick a room)</li>
  <li><a href="/bridge/">Bridge</a></li>
  <li><a href="/admin">Admin page</a> (the admin token is printed where npm run cluster runs)</li>
</ul>
`;

const children = new Set<ChildProcess>();
let stopping = false;

/** Starts `tickwire <args>` from source; resolves with its JSON line, its output prefixed on stderr. */
function start(label: string, args: string[], extraEnv: Record<string, string>): Promise<{ child: ChildProcess; line: Record<string, unknown> }> {
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', `${root}scripts/tickwire.ts`, ...args], {
    cwd: root,
    env: { ...env, ...extraEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  createInterface({ input: child.stderr! }).on('line', (l) => console.error(`[${label}] ${l}`));
  child.once('exit', (code, signal) => {
    children.delete(child);
    if (!stopping) console.error(`[${label}] exited (${signal ?? `code ${code}`}): its rooms move to the other processes`);
  });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${label} exited with code ${code} before it was ready`)));
    createInterface({ input: child.stdout! }).once('line', (l) => resolve({ child, line: JSON.parse(l) as Record<string, unknown> }));
  });
}

async function stop(code = 0): Promise<void> {
  if (stopping) return;
  stopping = true;
  console.error('stopping the cluster…');
  // SIGINT: a game process hands its rooms off at once (SIGTERM would drain them for minutes).
  const exits = [...children].map((c) => new Promise((r) => c.once('exit', r)));
  for (const c of children) c.kill('SIGINT');
  await Promise.all(exits);
  process.exit(code);
}

async function run(): Promise<void> {
  if (!(Number.isInteger(count) && count >= 1 && count <= 16)) fail('TICKWIRE_PROCESSES must be 1 to 16');
  await mkdir(publicDir, { recursive: true });
  const secret = await kept('secret', env.TICKWIRE_SECRET);
  const adminToken = await kept('admin-token', env.TICKWIRE_ADMIN_TOKEN);
  await checkRedis();
  await checkPostgres();
  console.error('building the arena and bridge pages…');
  await buildPage('arena');
  await buildPage('bridge');
  await writeFile(`${publicDir}index.html`, INDEX);

  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
  const shared = { REDIS_URL: redisUrl, DATABASE_URL: databaseUrl, TICKWIRE_SECRET: secret, TICKWIRE_ADMIN_TOKEN: adminToken };
  const games = [];
  for (let i = 1; i <= count; i++) {
    const id = `game-${i}`;
    const { child, line } = await start(id, ['serve', '--rooms', 'scripts/cluster-rooms.ts', '--port', '0', '--host', '127.0.0.1'], { ...shared, TICKWIRE_PROCESS_ID: id });
    games.push({ id, pid: child.pid, url: String(line.url) });
  }
  const { line } = await start('gateway', ['gateway', '--port', port, '--static', publicDir], shared);
  // Listening on every interface: show the address a browser on this machine opens.
  const gateway = `http://localhost:${String(line.port)}`;
  console.log(`
tickwire cluster: a gateway and ${count} game processes on Redis ${redisUrl} and ${databaseUrl.replace(/\/\/[^@/]*@/, '//')}

  arena    ${gateway}/arena/
  bridge   ${gateway}/bridge/
  admin    ${gateway}/admin   (token: ${adminToken})
${games.map((g) => `  ${g.id}   pid ${g.pid}   ${g.url}`).join('\n')}

Kill a game process (kill -9 <pid>) and keep playing: its rooms reopen on the others.
Ctrl-C stops everything.
`);
}

run().catch((err: Error) => {
  console.error(`npm run cluster: ${err.message}`);
  void stop(1);
});
