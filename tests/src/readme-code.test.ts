/**
 * The game code the README and the persistence guide show must compile as written, against the
 * packages as they are now: a reader copies it first, so an API change that breaks it has to
 * break a test, not a newcomer's first hour.
 *
 * The code blocks are compiled in memory, as files of a project beside this one (so that
 * `@tickwire/*` resolve as they do for the tests), with the repository's strict settings. Names a
 * snippet leaves to the reader (a renderer's `draw`) are declared in `render.ts`.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** The ```ts blocks of a markdown section, by the file name each one's first comment gives. */
function blocks(markdown: string, from: string, to: string): Map<string, string> {
  const start = markdown.indexOf(from);
  const end = markdown.indexOf(to, start + 1);
  if (start < 0 || end < 0) throw new Error(`section '${from}' .. '${to}' not found`);
  const out = new Map<string, string>();
  for (const m of markdown.slice(start, end).matchAll(/```ts\n([\s\S]*?)```/g)) {
    const code = m[1]!;
    const name = /^\/\/ ([\w/.-]+\.ts)/.exec(code)?.[1];
    if (name) out.set(name, code);
  }
  return out;
}

/**
 * Type errors of each project (a folder name and its files), compiled as one program in memory
 * (never written to disk); only the snippets' own files are checked, which keeps it quick.
 */
function typeErrors(projects: Record<string, Map<string, string>>): Record<string, string[]> {
  const config = ts.getParsedCommandLineOfConfigFile(join(root, 'tsconfig.check.json'), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} });
  if (!config) throw new Error('tsconfig.check.json could not be read');
  const virtual = new Map<string, string>();
  const owner = new Map<string, string>();
  for (const [project, files] of Object.entries(projects)) {
    for (const [name, code] of files) {
      const path = join(root, 'tests', project, name);
      virtual.set(path, code);
      owner.set(path, project);
    }
  }
  const host = ts.createCompilerHost(config.options);
  const { fileExists, readFile, getSourceFile, directoryExists } = host;
  host.fileExists = (f) => virtual.has(f) || fileExists.call(host, f);
  host.readFile = (f) => virtual.get(f) ?? readFile.call(host, f);
  host.directoryExists = (d) => [...virtual.keys()].some((f) => f.startsWith(d + '/')) || (directoryExists?.call(host, d) ?? true);
  host.getSourceFile = (f, lang, onError, create) => {
    const code = virtual.get(f);
    return code === undefined ? getSourceFile.call(host, f, lang, onError, create) : ts.createSourceFile(f, code, lang);
  };
  const program = ts.createProgram([...virtual.keys()], { ...config.options, noEmit: true }, host);
  const out: Record<string, string[]> = Object.fromEntries(Object.keys(projects).map((p) => [p, []]));
  for (const path of virtual.keys()) {
    const file = program.getSourceFile(path)!;
    for (const d of [...program.getSyntacticDiagnostics(file), ...program.getSemanticDiagnostics(file)]) {
      out[owner.get(path)!]!.push(`${path.slice(root.length + 1)}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
    }
  }
  return out;
}

const renderer = 'export declare function draw(x: number, y: number): void;\nexport declare function flash(target: number, damage: number): void;\n';

describe('documented game code', () => {
  const game = blocks(readFileSync(join(root, 'README.md'), 'utf8'), '## Write a game', '\n## ');
  game.set('render.ts', renderer);
  // The same game with a mistake in it: proves the check would see one.
  const broken = new Map(game);
  broken.set('server.ts', game.get('server.ts')!.replace("room.emit('hit', { target: player.entity.id, damage: 10 })", "room.emit('hit', { target: player.entity.id })"));
  const guide = readFileSync(join(root, 'docs', 'persistence.md'), 'utf8');
  const bank = [...guide.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!).find((code) => code.includes('export const bankRoom'));
  // The identity guide's snippets, each a file of its own, with the './room.js' and
  // './shared/protocol.js' they import standing for the arena's.
  const identity = new Map([...readFileSync(join(root, 'docs', 'identity.md'), 'utf8').matchAll(/```ts\n([\s\S]*?)```/g)].map((m, i) => [`snippet-${i}.ts`, `${m[1]!}\nexport {};\n`]));
  identity.set('room.ts', "export { arenaRoom } from '@tickwire/arena/room';\n");
  identity.set('shared/protocol.ts', "export { arena as game } from '@tickwire/arena/protocol';\n");
  // The sessions guide's game: its protocol, server and client, as written.
  const sessions = blocks(readFileSync(join(root, 'docs', 'sessions.md'), 'utf8'), '## A game with two teams of two roles', '\n## ');
  let errors: Record<string, string[]> | undefined;
  const check = () =>
    (errors ??= typeErrors({ 'readme-game': game, 'readme-game-broken': broken, 'docs-bank': new Map([['bank.ts', bank ?? '']]), 'docs-identity': identity, 'docs-sessions': sessions }));

  it("README 'Write a game' compiles as written", () => {
    expect([...game.keys()].sort()).toEqual(['client.ts', 'render.ts', 'server.ts', 'shared/protocol.ts']);
    expect(broken.get('server.ts')).not.toBe(game.get('server.ts'));
    expect(check()['readme-game']).toEqual([]);
  }, 120_000);

  it('a mistake in that code is caught (the check is real)', () => {
    expect(check()['readme-game-broken']!.join('\n')).toMatch(/damage/);
  }, 120_000);

  it("the identity guide's code compiles as written", () => {
    expect(identity.size).toBeGreaterThanOrEqual(7);
    expect(check()['docs-identity']).toEqual([]);
  }, 120_000);

  it("the sessions guide's game compiles as written", () => {
    expect([...sessions.keys()].sort()).toEqual(['client.ts', 'server.ts', 'shared/protocol.ts']);
    expect(check()['docs-sessions']).toEqual([]);
  }, 120_000);

  it("the persistence guide's bank room compiles as written", () => {
    expect(bank).toBeDefined();
    expect(check()['docs-bank']).toEqual([]);
  }, 120_000);
});
