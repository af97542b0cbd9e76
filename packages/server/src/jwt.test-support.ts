/**
 * Test support for identity: tokens signed the way an issuer would (jose's SignJWT), tokens no
 * issuer would sign (alg none, made-up headers), and a real JWKS server on 127.0.0.1:0 whose
 * keys a test rotates and whose failures (500, no answer, garbage) it switches on.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey, type JWK } from 'jose';

/** The wall-clock time every verifier in these tests runs at (a fixed instant, in ms). */
export const NOW_MS = 1_800_000_000_000;
export const NOW_SEC = NOW_MS / 1000;
export const SECRET = 'test-secret-of-at-least-32-bytes-for-hs256';
export const ISSUER = 'https://issuer.test/';
export const AUDIENCE = 'tickwire-test';

/** Claims an issuer would give a user: the test's fixed time, this issuer and audience. */
export function claimsFor(sub: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { sub, iss: ISSUER, aud: AUDIENCE, iat: NOW_SEC, exp: NOW_SEC + 300, ...extra };
}

/**
 * A signed token. `claims` are taken as they are (a claim set to undefined is left out), so a
 * test can sign exactly the set it wants.
 */
export async function sign(key: Uint8Array | CryptoKey, claims: Record<string, unknown>, header: { alg: string; kid?: string } = { alg: 'HS256' }): Promise<string> {
  const payload = Object.fromEntries(Object.entries(claims).filter(([, v]) => v !== undefined));
  return new SignJWT(payload).setProtectedHeader({ ...header, typ: 'JWT' }).sign(key);
}

/** A token with any header and an empty signature: what `alg: none` looks like. */
export function unsigned(header: Record<string, unknown>, claims: Record<string, unknown>): string {
  const part = (o: Record<string, unknown>) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${part(header)}.${part(claims)}.`;
}

export const secretKey = new TextEncoder().encode(SECRET);

/** A signing key pair and its public JWK, with a key id. */
export interface TestKey {
  kid: string;
  alg: 'RS256' | 'ES256';
  privateKey: CryptoKey;
  publicJwk: JWK;
}

export async function testKey(kid: string, alg: 'RS256' | 'ES256'): Promise<TestKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  return { kid, alg, privateKey, publicJwk };
}

/** A token signed by a test key, naming it in its header. */
export function signWith(key: TestKey, claims: Record<string, unknown>): Promise<string> {
  return sign(key.privateKey, claims, { alg: key.alg, kid: key.kid });
}

export type JwksBehaviour = 'serve' | 'fail' | 'hang' | 'garbage';

/** A JWKS endpoint on 127.0.0.1:0: `keys` is what it publishes, `behaviour` how it answers. */
export interface JwksServer {
  url: URL;
  keys: JWK[];
  behaviour: JwksBehaviour;
  /** Requests it has received. */
  requests: number;
  close(): Promise<void>;
}

export async function startJwksServer(keys: JWK[]): Promise<JwksServer> {
  const hanging: ServerResponse[] = [];
  const state = {
    keys,
    behaviour: 'serve' as JwksBehaviour,
    requests: 0,
  };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    state.requests++;
    req.resume();
    if (state.behaviour === 'hang') {
      hanging.push(res);
      return;
    }
    if (state.behaviour === 'fail') {
      res.writeHead(500).end('down');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(state.behaviour === 'garbage' ? '{"keys": "not a list"' : JSON.stringify({ keys: state.keys }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(state, {
    url: new URL(`http://127.0.0.1:${port}/.well-known/jwks.json`),
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of hanging) res.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}

/** A URL on 127.0.0.1 where nothing listens: a port that was free a moment ago. */
export async function unreachableUrl(): Promise<URL> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return new URL(`http://127.0.0.1:${port}/.well-known/jwks.json`);
}
