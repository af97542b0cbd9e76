/**
 * examples/starter built the way a user outside this repository builds it: the packages are
 * packed with `npm pack`, the starter is copied to a scratch folder with its @tickwire
 * dependencies pointed at the tarballs, installed with npm, checked for imports the packages do
 * not declare, compiled with tsc, and run: its server on port 0, its client joining and playing,
 * and `tickwire bots` driving the starter's own bot module through its package.json. It prints
 * the time from tarballs to a client that joined.
 *
 * Third-party dependencies (ws, pino, typescript...) come from the npm registry or npm's cache;
 * without either the test skips with a message, unless TICKWIRE_REQUIRE_SERVICES=1.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { unavailable } from './services.js';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
/**
 * Every package, by workspace folder: all are packed and checked. The starter installs protocol,
 * server, client and the CLI; the CLI brings the gateway and the Redis adapters (for `tickwire
 * serve` and `tickwire gateway`); storage is an optional peer it does not install.
 */
const PACKAGES = ['packages/protocol', 'packages/server', 'packages/client', 'packages/storage', 'packages/redis', 'packages/gateway', 'packages/cli'];

const scratch = mkdtempSync(join(tmpdir(), 'tickwire-starter-'));
const children: ChildProcess[] = [];
afterAll(() => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  rmSync(scratch, { recursive: true, force: true });
});

/**
 * The environment of a shell outside any npm script. Under `npm test`, npm exports the script's
 * context (the project's prefix, package and lifecycle) that would make the inner npm act on this
 * repository instead of the scratch folder; user settings such as npm_config_registry stay.
 * NODE_OPTIONS goes too: `--conditions=source` there would load the tarballs' TypeScript sources.
 */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const context = /^(npm_(lifecycle|package)_|npm_(command|execpath|node_execpath)$|npm_config_(local_prefix|call|workspaces?|include_workspace_root)$|INIT_CWD$|NODE_OPTIONS$)/i;
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!context.test(k)) env[k] = v;
  return { ...env, ...extra };
}

interface Ran {
  code: number | null;
  /** stdout alone. */
  stdout: string;
  /** stdout and stderr, for failure messages. */
  out: string;
}

function run(command: string, args: readonly string[], cwd: string, env = cleanEnv()): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let stdout = '';
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, out }));
  });
}

/** Resolves with the first match of `pattern` in the child's stdout (rejects if it exits first). */
function waitFor(child: ChildProcess, pattern: RegExp, what: string): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const onData = (d: Buffer) => {
      seen += d.toString();
      const m = seen.match(pattern);
      if (m) {
        child.stdout?.off('data', onData);
        resolve(m);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (d: Buffer) => (seen += d.toString()));
    child.on('exit', (code) => reject(new Error(`${what} exited (${code}) before printing ${pattern}:\n${seen}`)));
  });
}

/** Every file under `dir`, recursively. */
function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]));
}

/** The package a bare import specifier names (`@scope/name/sub` → `@scope/name`), or undefined for relative and node: imports. */
function packageOf(specifier: string): string | undefined {
  if (specifier.startsWith('.') || specifier.startsWith('node:')) return undefined;
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/**
 * What an installed package imports but does not declare: a runtime import missing from its
 * dependencies (it works here by hoisting luck and breaks under stricter installs), or a type
 * import whose types neither ship with that dependency nor come from a declared @types package
 * (TypeScript would quietly make them `any` under skipLibCheck).
 */
function undeclaredImports(modules: string, name: string): string[] {
  const root = join(modules, name);
  const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
    dependencies?: Record<string, string>;
    peerDependencies?: Record<string, string>;
    peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  };
  const declared = new Set([...Object.keys(manifest.dependencies ?? {}), ...Object.keys(manifest.peerDependencies ?? {})]);
  // An optional peer the user did not install (uWebSockets.js for the uWS host) has no types to check.
  const absentOptional = (dep: string) => manifest.peerDependenciesMeta?.[dep]?.optional === true && !existsSync(join(modules, dep));
  const shipsTypes = (dep: string) => {
    const depRoot = join(modules, dep);
    const pkg = readFileSync(join(depRoot, 'package.json'), 'utf8');
    return /"(types|typings)"\s*:/.test(pkg) || existsSync(join(depRoot, 'index.d.ts'));
  };
  const problems = new Set<string>();
  for (const file of walk(join(root, 'dist')).filter((f) => f.endsWith('.js') || f.endsWith('.d.ts'))) {
    // JSDoc examples mention imports too; only code counts.
    const text = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '');
    for (const m of text.matchAll(/(?:from\s+|import\s*\(\s*|import\s+)'([^']+)'/g)) {
      const dep = packageOf(m[1]!);
      if (dep === undefined || dep === name) continue;
      const where = `${name}/${relative(root, file)} imports '${m[1]}'`;
      if (!declared.has(dep)) problems.add(`${where}, which is not in its dependencies`);
      else if (file.endsWith('.d.ts') && !absentOptional(dep) && !shipsTypes(dep) && !declared.has(`@types/${dep}`)) problems.add(`${where}, whose types are in @types/${dep}, not in its dependencies`);
    }
  }
  return [...problems];
}

const NETWORK = /E(NOTFOUND|AI_AGAIN|CONNREFUSED|CONNRESET|TIMEDOUT|NETUNREACH)|ENOTCACHED|network/;
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

describe('examples/starter from npm pack tarballs', () => {
  it('installs, builds, serves, and a client joins and plays; tickwire bots drives its bot module', async (ctx) => {
    const t0 = performance.now();
    // The tarballs hold dist/: build it first (incremental, so cheap when `npm test` just did).
    const built = await run(process.execPath, [join(repo, 'node_modules', 'typescript', 'bin', 'tsc'), '-b', ...PACKAGES], repo);
    expect(built.code, built.out).toBe(0);
    const tarballs = join(scratch, 'tarballs');
    mkdirSync(tarballs);
    const packed = await run(npm, ['pack', '--ignore-scripts', '--json', '--pack-destination', tarballs, ...PACKAGES.flatMap((p) => ['-w', p])], repo);
    expect(packed.code, packed.out).toBe(0);
    const files = new Map<string, string>();
    for (const p of JSON.parse(packed.stdout) as { name: string; filename: string; files: { path: string }[] }[]) {
      files.set(p.name, p.filename);
      // What a user downloads: compiled code and types, no tests.
      expect(p.files.some((f) => f.path === 'dist/index.d.ts')).toBe(true);
      expect(p.files.filter((f) => /\.test\.|test-support/.test(f.path))).toEqual([]);
      expect(p.files.map((f) => f.path)).toEqual(expect.arrayContaining(['README.md', 'LICENSE', 'package.json']));
    }
    expect([...files.keys()].sort()).toEqual(['@tickwire/client', '@tickwire/gateway', '@tickwire/protocol', '@tickwire/redis', '@tickwire/server', '@tickwire/storage', 'tickwire']);
    const tPacked = performance.now();

    // The starter, copied out of the repository, depending on the tarballs instead of the registry.
    const app = join(scratch, 'starter');
    const source = join(repo, 'examples', 'starter');
    cpSync(source, app, { recursive: true, filter: (f) => !/^(node_modules|dist)(\/|\\|$)/.test(relative(source, f).split(sep).join('/')) });
    const manifest = JSON.parse(readFileSync(join(app, 'package.json'), 'utf8')) as Record<string, Record<string, string>>;
    for (const section of ['dependencies', 'devDependencies']) {
      for (const name of Object.keys(manifest[section] ?? {})) {
        const tarball = files.get(name);
        if (tarball) manifest[section]![name] = `file:../tarballs/${tarball}`;
      }
    }
    const installs = [...files.keys()].filter((name) => name in { ...manifest.dependencies, ...manifest.devDependencies });
    expect(installs.sort()).toEqual(['@tickwire/client', '@tickwire/protocol', '@tickwire/server', 'tickwire']);
    // What those depend on in turn comes from the tarballs too, never from the registry.
    manifest.overrides = Object.fromEntries([...files].map(([name, tarball]) => [name, `file:../tarballs/${tarball}`]));
    writeFileSync(join(app, 'package.json'), JSON.stringify(manifest, null, 2));

    // A registry that is down must fail the install in seconds (npm's own retries wait minutes).
    const bounded = ['--fetch-retries', '1', '--fetch-retry-mintimeout', '1000', '--fetch-retry-maxtimeout', '4000', '--fetch-timeout', '20000'];
    const installed = await run(npm, ['install', '--prefer-offline', '--no-audit', '--no-fund', ...bounded], app);
    if (installed.code !== 0 && NETWORK.test(installed.out)) {
      const reason = unavailable('the npm registry', false, `npm install could not fetch the starter's third-party dependencies (${installed.out.match(NETWORK)?.[0]}): connect to the registry or warm npm's cache`);
      ctx.skip(reason);
    }
    expect(installed.code, installed.out).toBe(0);
    const tInstalled = performance.now();
    for (const name of installs) expect(undeclaredImports(join(app, 'node_modules'), name)).toEqual([]);

    const compiled = await run(npm, ['run', 'build'], app);
    expect(compiled.code, compiled.out).toBe(0);
    const tBuilt = performance.now();

    const server = spawn(process.execPath, ['dist/server.js'], { cwd: app, env: cleanEnv({ PORT: '0', HOST: '127.0.0.1' }), stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(server);
    const [, port] = await waitFor(server, /game server ready at ws:\/\/localhost:(\d+)\/ws/, 'the starter server');
    const tServing = performance.now();

    const client = spawn(process.execPath, ['dist/client.js', `ws://127.0.0.1:${port}/ws`], { cwd: app, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(client);
    const clientOut = waitFor(client, /left the room/, 'the starter client');
    const joined = await waitFor(client, /joined room (\S+) as client (\d+)/, 'the starter client');
    const tJoined = performance.now();
    expect(joined[1]).toBe('abc');
    await clientOut;
    const clientExit = await new Promise<number | null>((resolve) => (client.exitCode !== null ? resolve(client.exitCode) : client.on('exit', resolve)));
    expect(clientExit).toBe(0);

    // The CLI from its tarball, finding the starter's bot through "tickwire.bot" in its package.json.
    const bots = await run(process.execPath, [join(app, 'node_modules', 'tickwire', 'bin', 'tickwire.js'), 'bots', '--url', `ws://127.0.0.1:${port}`, '--clients', '2', '--duration', '2', '--json'], app);
    expect(bots.code, bots.out).toBe(0);
    expect(bots.stdout.trim().split('\n')).toHaveLength(1);
    const report = JSON.parse(bots.stdout) as { connected: number; failed: number; snapshots_per_client_s: number };
    expect(report).toMatchObject({ connected: 2, failed: 0 });
    expect(report.snapshots_per_client_s).toBeGreaterThan(0);

    server.kill('SIGTERM');
    await new Promise((resolve) => (server.exitCode !== null ? resolve(server.exitCode) : server.on('exit', resolve)));

    console.log(
      `starter: built and packed ${files.size} packages in ${seconds(tPacked - t0)}; tarballs → client joined in ${seconds(tJoined - tPacked)} ` +
        `(npm install ${seconds(tInstalled - tPacked)}, tsc ${seconds(tBuilt - tInstalled)}, server up ${seconds(tServing - tBuilt)}, join ${seconds(tJoined - tServing)})`,
    );
  }, 115_000);
});
