/**
 * The modules a command runs (a bot module, a game module): named by a flag or by a field of the
 * `"tickwire"` section of the nearest package.json that has it, then imported. Every way this can
 * go wrong ends in an error that says what to do.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, extname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

/** Where a module is, and what said so (for error messages). */
export interface ModuleLocation {
  path: string;
  /** The flag (`--bot`), or the package.json whose `tickwire` field named it. */
  source: string;
}

/** A kind of module: the flag and package.json field that name it, how to provide one, its error. */
export interface ModuleKind {
  /** What it is, in messages: 'bot module'. */
  what: string;
  /** The flag that names it: '--bot'. */
  flag: string;
  /** The field of package.json's "tickwire" section: 'bot'. */
  field: string;
  /** How to provide one, ending the messages. */
  howTo: string;
  error(message: string): Error;
}

/** Finds the module: the flag's path resolved against `cwd`, else the field of the nearest package.json that has it. */
export function locateModule(kind: ModuleKind, flag: string | undefined, cwd: string): ModuleLocation {
  if (flag !== undefined) return { path: resolve(cwd, flag), source: kind.flag };
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      const named = packageField(kind, file);
      if (named !== undefined) return { path: resolve(dir, named), source: file };
    }
    if (dirname(dir) === dir) break;
  }
  throw kind.error(`no ${kind.what}: ${kind.howTo}`);
}

function packageField(kind: ModuleKind, file: string): string | undefined {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw kind.error(`${file} is not valid JSON (${err instanceof Error ? err.message : String(err)}): fix it, or pass ${kind.flag} <file.js>`);
  }
  if (typeof json !== 'object' || json === null || !('tickwire' in json)) return undefined;
  const section = json.tickwire;
  if (typeof section !== 'object' || section === null || !(kind.field in section)) return undefined;
  const value: unknown = Object.getOwnPropertyDescriptor(section, kind.field)?.value;
  if (typeof value !== 'string' || value === '') {
    throw kind.error(`"tickwire.${kind.field}" in ${file} must be the path of a JavaScript module, relative to that file, e.g. "dist/${kind.field}.js"`);
  }
  return value;
}

/** Where a location came from, in messages. */
export function described(kind: ModuleKind, where: ModuleLocation): string {
  return where.source === kind.flag ? `given by ${kind.flag}` : `named by "tickwire.${kind.field}" in ${where.source}`;
}

/** Imports the module and answers its exports. */
export async function importModule(kind: ModuleKind, where: ModuleLocation): Promise<object> {
  const from = described(kind, where);
  const typescript = ['.ts', '.mts', '.cts'].includes(extname(where.path));
  const build = typescript ? ': build it to JavaScript (tsc) and point at the .js file' : ' (is it built? run your build, e.g. npm run build)';
  if (!existsSync(where.path)) throw kind.error(`the ${kind.what} ${where.path} (${from}) does not exist${build}; or ${kind.howTo}`);
  let loaded: unknown;
  try {
    loaded = await import(pathToFileURL(where.path).href);
  } catch (err) {
    const code = typeof err === 'object' && err !== null && 'code' in err ? err.code : undefined;
    if (code === 'ERR_UNKNOWN_FILE_EXTENSION') throw kind.error(`Node cannot load ${where.path} (${from})${build}`);
    throw kind.error(`the ${kind.what} ${where.path} (${from}) failed to load: ${err instanceof Error ? err.message : String(err)}`);
  }
  return typeof loaded === 'object' && loaded !== null ? loaded : {};
}
