/**
 * The deployment files (Dockerfile, deploy/compose.yaml, deploy/k8s, deploy/agones), checked
 * without Docker or Kubernetes: every manifest parses and has the kinds it should; every variable
 * they give a tickwire container is one that `tickwire serve` or `tickwire gateway` reads (the
 * sources are searched for it), or one that another variable of the container expands; the
 * commands and flags are ones the CLI takes; the names that tie manifests together (Services,
 * selectors, counters, drain deadline and grace period) agree; and the Dockerfile's stages and
 * paths refer to files and stages that exist.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { GATEWAY_FLAGS } from '../../packages/cli/src/gateway-command.js';
import { SERVE_FLAGS } from '../../packages/cli/src/serve-command.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const read = (path: string) => readFileSync(join(root, path), 'utf8');
const exists = (path: string) => existsSync(join(root, path));

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
function obj(v: unknown, what: string): Obj {
  if (!isObj(v)) throw new Error(`${what} is not a mapping`);
  return v;
}
function list(v: unknown, what: string): unknown[] {
  if (!Array.isArray(v)) throw new Error(`${what} is not a list`);
  return v;
}
function str(v: unknown, what: string): string {
  if (typeof v !== 'string') throw new Error(`${what} is not a string`);
  return v;
}
/** A path into nested mappings: at(doc, 'spec', 'template', 'spec'). */
function at(v: unknown, ...path: string[]): unknown {
  return path.reduce<unknown>((x, key) => (isObj(x) ? x[key] : undefined), v);
}

/** Every document of a YAML file, with anchors and `<<` merges resolved; a syntax error fails. */
function yamlDocs(path: string): Obj[] {
  return parseAllDocuments(read(path), { merge: true }).map((doc, i) => {
    expect(doc.errors.map((e) => e.message), `${path}, document ${i + 1}`).toEqual([]);
    return obj(doc.toJS(), `${path}, document ${i + 1}`);
  });
}

/** The non-test TypeScript under `dir`. */
function sources(dir: string): string[] {
  return readdirSync(join(root, dir), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && !f.includes('test-support') && !f.includes('node_modules') && !f.endsWith('.d.ts'))
    .map((f) => read(join(dir, f)));
}
const packageSources = sources('packages').join('\n');
/** Read by the code: `env.NAME`, `env['NAME']`, or a quoted 'NAME' (envNumber(env, 'NAME'), flag(env, 'NAME')). */
const readByCode = (name: string) => new RegExp(`env\\.${name}\\b|['"\`]${name}['"\`]`).test(packageSources);

/** A tickwire container as a manifest gives it: its arguments and environment, in order. */
interface Container {
  where: string;
  args: string[];
  env: [string, string][];
}
const role = (c: Container) => c.args[0];
const envOf = (c: Container) => new Map(c.env);

/** The ConfigMaps and Secrets of deploy/k8s/config.yaml, by name: the variables they hold. */
const k8sConfig = new Map<string, [string, string][]>(
  yamlDocs('deploy/k8s/config.yaml').map((d) => [
    str(at(d, 'metadata', 'name'), 'a config name'),
    Object.entries(obj(d.data ?? d.stringData, 'config data')).map(([k, v]) => [k, String(v)]),
  ]),
);

/** The containers of a pod spec that run the tickwire image, env from envFrom first (as Kubernetes applies it). */
function podContainers(podSpec: unknown, where: string): Container[] {
  return list(at(podSpec, 'containers'), `${where} containers`)
    .map((c) => obj(c, `${where} container`))
    .filter((c) => c.image === 'tickwire')
    .map((c) => {
      const env: [string, string][] = [];
      for (const from of list(c.envFrom ?? [], 'envFrom')) {
        const name = str(at(from, 'configMapRef', 'name') ?? at(from, 'secretRef', 'name'), 'envFrom name');
        const vars = k8sConfig.get(name);
        expect(vars, `${where}: envFrom names ${name}, which deploy/k8s/config.yaml does not define`).toBeDefined();
        env.push(...(vars ?? []));
      }
      for (const e of list(c.env ?? [], 'env')) env.push([str(at(e, 'name'), 'env name'), typeof at(e, 'value') === 'string' ? str(at(e, 'value'), 'env value') : '']);
      return { where: `${where}/${String(c.name)}`, args: list(c.args, `${where} args`).map((a) => str(a, 'arg')), env };
    });
}

const compose = yamlDocs('deploy/compose.yaml')[0]!;
const composeServices = obj(compose.services, 'compose services');
const composeContainers: Container[] = Object.entries(composeServices)
  .filter(([, s]) => at(s, 'image') === 'tickwire:local')
  .map(([name, s]) => ({
    where: `compose ${name}`,
    args: list(at(s, 'command'), `${name} command`).map((a) => str(a, 'arg')),
    env: Object.entries(obj(at(s, 'environment'), `${name} environment`)).map(([k, v]) => [k, String(v)]),
  }));

const k8sDocs = ['deploy/k8s/gateway.yaml', 'deploy/k8s/game.yaml'].flatMap((f) => yamlDocs(f));
const k8sWorkloads = k8sDocs.filter((d) => d.kind === 'Deployment' || d.kind === 'StatefulSet');
const k8sContainers = k8sWorkloads.flatMap((d) => podContainers(at(d, 'spec', 'template', 'spec'), `${String(d.kind)} ${String(at(d, 'metadata', 'name'))}`));
const agonesDocs = yamlDocs('deploy/agones/fleet.yaml');
const fleet = agonesDocs.find((d) => d.kind === 'Fleet');
const fleetContainers = podContainers(at(fleet, 'spec', 'template', 'spec', 'template', 'spec'), 'Fleet');
const containers = [...composeContainers, ...k8sContainers, ...fleetContainers];

describe('deployment manifests', () => {
  it('parse, and hold the kinds they should', () => {
    const kinds = (path: string) => yamlDocs(path).map((d) => d.kind);
    expect(kinds('deploy/k8s/config.yaml')).toEqual(['ConfigMap', 'Secret']);
    expect(kinds('deploy/k8s/gateway.yaml')).toEqual(['Deployment', 'Service']);
    expect(kinds('deploy/k8s/game.yaml')).toEqual(['Service', 'StatefulSet']);
    expect(kinds('deploy/agones/fleet.yaml')).toEqual(['Fleet', 'FleetAutoscaler']);
    const kustomization = yamlDocs('deploy/k8s/kustomization.yaml')[0]!;
    expect(kustomization.kind).toBe('Kustomization');
    expect(list(kustomization.resources, 'resources').sort()).toEqual(readdirSync(join(root, 'deploy/k8s')).filter((f) => f !== 'kustomization.yaml').sort());
    expect(Object.keys(composeServices).sort()).toEqual(['game-1', 'game-2', 'game-3', 'gateway', 'postgres', 'redis']);
    // Compose reads every `$` in a value as a variable: `$$` is a dollar, anything but a name or `{` after one is an error.
    const strings = (v: unknown): string[] => (typeof v === 'string' ? [v] : Array.isArray(v) ? v.flatMap(strings) : isObj(v) ? Object.values(v).flatMap(strings) : []);
    expect(strings(compose).flatMap((v) => v.replace(/\$\$/g, '').match(/\$(?![{A-Za-z_])./g) ?? [])).toEqual([]);
    expect(containers.map((c) => `${c.where}: ${role(c)}`)).toEqual([
      'compose gateway: gateway',
      'compose game-1: serve',
      'compose game-2: serve',
      'compose game-3: serve',
      'Deployment tickwire-gateway/gateway: gateway',
      'StatefulSet tickwire-game/game: serve',
      'Fleet/game: serve',
    ]);
  });

  it('run commands and flags the CLI has, with game modules and pages the build makes', () => {
    const main = read('packages/cli/src/main.ts');
    const flags = { serve: SERVE_FLAGS, gateway: GATEWAY_FLAGS };
    for (const c of containers) {
      const command = role(c);
      expect(command === 'serve' || command === 'gateway', c.where).toBe(true);
      expect(main, `${c.where}: main.ts dispatches ${command}`).toContain(`argv[0] === '${command}'`);
      const known = (command === 'serve' ? flags.serve : flags.gateway).map((f) => `--${f.name}`);
      for (const arg of c.args.slice(1).filter((a) => a.startsWith('--'))) expect(known, c.where).toContain(arg);
      checkBuiltPaths(c.args, c.where);
    }
  });

  it('give tickwire containers only variables that tickwire serve or tickwire gateway reads, and what each role needs', () => {
    for (const c of containers) {
      const values = c.env.map(([, v]) => v).join('\n');
      for (const [name] of c.env) {
        // A variable the code does not read is only there to be expanded into another, as $(POD_NAME).
        if (!readByCode(name)) expect(values, `${c.where}: ${name} is read by neither tickwire serve nor tickwire gateway`).toContain(`$(${name})`);
      }
      const needs = role(c) === 'serve' ? ['TICKWIRE_SECRET', 'REDIS_URL', 'DATABASE_URL', 'INTERNAL_URL'] : ['TICKWIRE_SECRET', 'REDIS_URL'];
      for (const name of needs) expect(envOf(c).has(name), `${c.where} sets ${name}`).toBe(true);
      // Kubernetes expands $(VAR) only for variables defined before it in the list.
      c.env.forEach(([name, value], i) => {
        for (const [, ref] of value.matchAll(/\$\(([A-Z_]+)\)/g)) expect(c.env.slice(0, i).map(([n]) => n), `${c.where}: ${name} uses $(${ref})`).toContain(ref);
      });
    }
    for (const c of containers.filter((x) => role(x) === 'serve' && !x.where.startsWith('Fleet'))) {
      expect(envOf(c).get('PUBLIC_URL'), c.where).toMatch(/^wss?:\/\/.+\/ws$/);
    }
    // Under Agones the public address comes from the GameServer (packages/cli/src/agones.ts).
    expect(envOf(fleetContainers[0]!).has('PUBLIC_URL')).toBe(false);
  });

  it('give a draining game process longer to stop than its drain deadline', () => {
    const deadline = Number(new Map(k8sConfig.get('tickwire-config')).get('TICKWIRE_DRAIN_DEADLINE_MS'));
    expect(deadline).toBeGreaterThan(0);
    const statefulSet = k8sWorkloads.find((d) => d.kind === 'StatefulSet');
    for (const pod of [at(statefulSet, 'spec', 'template', 'spec'), at(fleet, 'spec', 'template', 'spec', 'template', 'spec')]) {
      expect(Number(at(pod, 'terminationGracePeriodSeconds')) * 1000).toBeGreaterThan(deadline);
    }
    for (const c of composeContainers.filter((x) => role(x) === 'serve')) {
      const grace = String(at(composeServices[c.where.replace('compose ', '')], 'stop_grace_period'));
      expect(grace).toMatch(/^\d+s$/);
      expect(Number.parseInt(grace, 10) * 1000, c.where).toBeGreaterThan(Number(envOf(c).get('TICKWIRE_DRAIN_DEADLINE_MS')));
    }
  });

  it('tie Services, selectors and probes together', () => {
    expect(packageSources).toContain("path: '/api/health'");
    const services = k8sDocs.filter((d) => d.kind === 'Service');
    for (const w of k8sWorkloads) {
      const labels = obj(at(w, 'spec', 'template', 'metadata', 'labels'), 'pod labels');
      expect(labels).toMatchObject(obj(at(w, 'spec', 'selector', 'matchLabels'), 'selector'));
      const service = services.find((s) => Object.entries(obj(at(s, 'spec', 'selector'), 'service selector')).every(([k, v]) => labels[k] === v));
      expect(service, `a Service selects ${String(at(w, 'metadata', 'name'))}`).toBeDefined();
      const container = obj(list(at(w, 'spec', 'template', 'spec', 'containers'), 'containers')[0], 'container');
      const ports = list(container.ports, 'ports').map((p) => at(p, 'name'));
      for (const probe of ['readinessProbe', 'livenessProbe']) {
        expect(at(container, probe, 'httpGet', 'path')).toBe('/api/health');
        expect(ports).toContain(at(container, probe, 'httpGet', 'port'));
      }
      if (w.kind === 'StatefulSet') {
        const name = at(w, 'spec', 'serviceName');
        expect(at(service, 'metadata', 'name')).toBe(name);
        expect(at(service, 'spec', 'clusterIP')).toBe('None');
        const game = k8sContainers.find((c) => c.where.startsWith('StatefulSet'))!;
        expect(envOf(game).get('INTERNAL_URL')).toContain(`.${String(name)}.`);
      }
    }
  });

  it('declare the Agones counters the process reports, with its capacities', () => {
    const agones = read('packages/cli/src/agones.ts');
    expect(agones).toContain("{ rooms: 'rooms', players: 'players' }");
    const counters = obj(at(fleet, 'spec', 'template', 'spec', 'counters'), 'counters');
    const env = envOf(fleetContainers[0]!);
    expect(at(counters, 'rooms', 'capacity')).toBe(Number(env.get('TICKWIRE_CAPACITY_ROOMS')));
    expect(at(counters, 'players', 'capacity')).toBe(Number(env.get('TICKWIRE_CAPACITY_CLIENTS')));
    const autoscaler = agonesDocs.find((d) => d.kind === 'FleetAutoscaler');
    expect(at(autoscaler, 'spec', 'fleetName')).toBe(at(fleet, 'metadata', 'name'));
    expect(Object.keys(counters)).toContain(at(autoscaler, 'spec', 'policy', 'counter', 'key'));
    for (const p of list(at(fleet, 'spec', 'priorities'), 'priorities')) expect(Object.keys(counters)).toContain(at(p, 'key'));
    // Health pings every 2 s (AgonesReporter's default) fit Agones' period.
    expect(Number(at(fleet, 'spec', 'template', 'spec', 'health', 'periodSeconds')) * 1000).toBeGreaterThan(2000);
    expect(list(at(fleet, 'spec', 'template', 'spec', 'ports'), 'ports').map((p) => at(p, 'containerPort'))).toEqual([8080]);
  });
});

/** `--rooms` names a game module the Dockerfile compiles, `--static` a page it builds. */
function checkBuiltPaths(args: readonly string[], where: string): void {
  const dockerfile = read('Dockerfile');
  const rooms = args[args.indexOf('--rooms') + 1];
  if (args.includes('--rooms') && rooms !== undefined) {
    const m = /^(examples\/[a-z]+)\/dist\/(server\/rooms)\.js$/.exec(rooms);
    expect(m, `${where}: --rooms ${rooms}`).not.toBeNull();
    const [, example, file] = m ?? [];
    expect(exists(`${example}/src/${file}.ts`), `${where}: the source of ${rooms}`).toBe(true);
    const tsconfig = obj(JSON.parse(read(`${example}/tsconfig.rooms.json`)), 'tsconfig');
    expect(at(tsconfig, 'files')).toEqual([`src/${file}.ts`]);
    expect(at(tsconfig, 'compilerOptions')).toMatchObject({ rootDir: 'src', outDir: 'dist' });
    expect(dockerfile).toContain(`${example}/tsconfig.rooms.json`);
  }
  const page = args[args.indexOf('--static') + 1];
  if (args.includes('--static') && page !== undefined) {
    const m = /^(examples\/[a-z]+)\/dist\/public$/.exec(page);
    expect(m, `${where}: --static ${page}`).not.toBeNull();
    expect(read(`${m?.[1]}/vite.config.ts`)).toContain("outDir: '../../dist/public'");
    expect(dockerfile).toContain(`--workspace ${m?.[1]}`);
  }
}

/** The Dockerfile's instructions, continuation lines joined and comments left out. */
function instructions(text: string): { op: string; rest: string }[] {
  return text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => {
      const [op = '', ...rest] = l.split(/\s+/);
      return { op: op.toUpperCase(), rest: rest.join(' ') };
    });
}

describe('Dockerfile', () => {
  const steps = instructions(read('Dockerfile'));
  const ignored = read('.dockerignore')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((p) => new RegExp(`^${p.replace(/\./g, '\\.').replace(/\*\*\//g, '(.*/)?').replace(/\*/g, '[^/]*')}(/.*)?$`));
  const workspaces = list(obj(JSON.parse(read('package.json')), 'package.json').workspaces, 'workspaces').map((w) => str(w, 'workspace'));

  it('has stages that build on stages defined before them, and ends in a slim runtime that is not root', () => {
    const stages: string[] = [];
    for (const { op, rest } of steps) {
      if (op === 'FROM') {
        const [image = '', as, name] = rest.split(' ');
        if (!image.includes(':')) expect(stages, `FROM ${image}`).toContain(image);
        expect(as?.toUpperCase()).toBe('AS');
        stages.push(str(name, 'stage name'));
      }
      const from = /--from=(\S+)/.exec(rest)?.[1];
      if (op === 'COPY' && from) expect(stages.slice(0, -1), `COPY --from=${from}`).toContain(from);
    }
    expect(stages).toEqual(['manifests', 'deps', 'build', 'runtime']);
    expect(steps.filter((s) => s.op === 'FROM').at(-1)?.rest).toMatch(/-slim AS runtime$/);
    expect(steps.filter((s) => s.op === 'USER').at(-1)?.rest).toBe('node');
    expect(steps.find((s) => s.op === 'RUN' && s.rest.includes('--omit=dev'))).toBeDefined();
  });

  it('copies files that exist and that .dockerignore lets through, among them every workspace manifest npm ci needs', () => {
    const copied = steps
      .filter((s) => s.op === 'COPY' && !s.rest.includes('--from='))
      .flatMap((s) => s.rest.split(' ').slice(0, -1))
      .filter((p) => p !== '.');
    for (const path of copied) {
      expect(exists(path), `COPY ${path}`).toBe(true);
      expect(ignored.filter((r) => r.test(path)).map(String), `COPY ${path} is excluded by .dockerignore`).toEqual([]);
    }
    expect(copied.filter((p) => p.endsWith('/package.json')).map((p) => p.replace('/package.json', '')).sort()).toEqual([...workspaces].sort());
  });

  it('builds what the runtime runs: every package the CLI and the game modules import, the launcher and the admin page', () => {
    const run = steps.filter((s) => s.op === 'RUN').map((s) => s.rest).join('\n');
    for (const [, config] of run.matchAll(/tsc -b ((?:\S+\.json ?)+)/g)) for (const file of (config ?? '').trim().split(' ')) expect(exists(file), file).toBe(true);
    const shipped = /for p in ([^;]+);/.exec(run)?.[1]?.trim().split(/\s+/) ?? [];
    for (const dir of shipped) expect(exists(`${dir}/package.json`), dir).toBe(true);
    // The workspaces reachable from the CLI and the examples through their dependencies.
    const byName = new Map(workspaces.map((w) => [str(obj(JSON.parse(read(`${w}/package.json`)), w).name, `${w} name`), w] as const));
    const needed = new Set<string>();
    const visit = (dir: string) => {
      if (needed.has(dir)) return;
      needed.add(dir);
      for (const dep of Object.keys(obj(obj(JSON.parse(read(`${dir}/package.json`)), dir).dependencies ?? {}, 'dependencies'))) {
        const ws = byName.get(dep);
        if (ws) visit(ws);
      }
    };
    ['packages/cli', 'examples/arena', 'examples/bridge'].forEach(visit);
    expect([...needed].sort()).toEqual([...shipped].sort());
    expect(run).toContain('cp -r packages/cli/bin');
    expect(run).toContain('cp -r packages/gateway/admin');
    const entry = steps.find((s) => s.op === 'ENTRYPOINT')?.rest ?? '';
    const launcher = str(list(JSON.parse(entry), 'ENTRYPOINT')[1], 'launcher');
    expect(exists(launcher), launcher).toBe(true);
    const cmd = list(JSON.parse(steps.find((s) => s.op === 'CMD')?.rest ?? '[]'), 'CMD').map((a) => str(a, 'arg'));
    expect(cmd[0]).toBe('serve');
    checkBuiltPaths(cmd, 'CMD');
  });
});
