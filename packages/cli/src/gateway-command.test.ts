/**
 * `tickwire gateway`'s command line. Running one against Redis, with the line it prints and a
 * stop, is in tests/src/gateway.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { gatewayCommand } from './gateway-command.js';
import { main } from './main.js';

async function run(argv: string[], env: Record<string, string | undefined> = {}) {
  let out = '';
  let err = '';
  const code = await gatewayCommand(argv, { write: (s: string) => (out += s) }, { write: (s: string) => (err += s) }, env, () => new Promise<string>(() => undefined));
  return { code, out, err };
}

describe('tickwire gateway: the command line', () => {
  it('prints its help, with the environment it reads', async () => {
    const { code, out } = await run(['--help']);
    expect(code).toBe(0);
    expect(out).toContain('usage: tickwire gateway');
    for (const name of ['REDIS_URL', 'TICKWIRE_SECRET', 'TICKWIRE_ADMIN_TOKEN', 'TICKWIRE_JWT_SECRET']) expect(out).toContain(name);
  });

  it('refuses bad flags with exit code 2 and the usage', async () => {
    for (const argv of [['--port', 'http'], ['--port', '70000'], ['--port', '1.5'], ['--nope'], ['extra']]) {
      const { code, err } = await run(argv);
      expect({ argv, code }).toEqual({ argv, code: 2 });
      expect(err).toContain('usage: tickwire gateway');
    }
  });

  it('says what is wrong with the environment and exits 1', async () => {
    const { code, err } = await run(['--port', '0'], { REDIS_URL: 'http://not-redis' });
    expect(code).toBe(1);
    expect(err).toMatch(/REDIS_URL must be a redis:\/\//);
  });

  it('is one of the commands main knows', async () => {
    let out = '';
    const code = await main(['gateway', '--help'], { write: (s: string) => (out += s) }, { write: () => undefined });
    expect(code).toBe(0);
    expect(out).toContain('usage: tickwire gateway');
  });
});
