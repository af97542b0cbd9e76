/**
 * A gateway configured from the environment, as `tickwire gateway` runs it: the cluster's Redis
 * (REDIS_URL, keys under TICKWIRE_REDIS_PREFIX) for both registries, the shared TICKWIRE_SECRET,
 * identity from TICKWIRE_JWT_* (or anonymous in development), the admin page with
 * TICKWIRE_ADMIN_TOKEN, and PORT / HOST to listen on.
 */
import { RedisProcessRegistry, RedisRegistry } from '@tickwire/redis';
import type { Env } from '@tickwire/server/internal';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { Gateway } from './gateway.js';

/** What the environment sets, read and checked. */
export interface GatewayEnv {
  redisUrl: string;
  prefix: string;
  port: number;
  host: string | undefined;
}

/** Reads REDIS_URL, TICKWIRE_REDIS_PREFIX, PORT and HOST; a RangeError names a bad one. */
export function gatewayEnv(env: Env): GatewayEnv {
  const redisUrl = env.REDIS_URL || 'redis://127.0.0.1:6379';
  if (!URL.canParse(redisUrl) || !['redis:', 'rediss:'].includes(new URL(redisUrl).protocol)) {
    throw new RangeError(`REDIS_URL must be a redis:// or rediss:// URL, got "${redisUrl.slice(0, 80)}"`);
  }
  const port = Number(env.PORT || 8080);
  if (!(Number.isInteger(port) && port >= 0 && port <= 65535)) throw new RangeError(`PORT must be a port number (0-65535), got "${String(env.PORT).slice(0, 20)}"`);
  const prefix = env.TICKWIRE_REDIS_PREFIX || 'tickwire:';
  if (prefix.length > 100) throw new RangeError('TICKWIRE_REDIS_PREFIX is longer than 100 characters');
  return { redisUrl, prefix, port, host: env.HOST || undefined };
}

/** A running gateway and how to stop it (the HTTP server first, then its Redis connection). */
export interface RunningGateway {
  gateway: Gateway;
  url: string;
  port: number;
  close(): Promise<void>;
}

/**
 * Starts a gateway from the environment and waits until it listens.
 *
 * @example
 * const running = await startGateway(process.env);
 * console.log(running.url);
 */
export async function startGateway(env: Env, options: { logger?: Logger; port?: number; host?: string; staticDir?: string } = {}): Promise<RunningGateway> {
  const config = gatewayEnv(env);
  const redis = new Redis(config.redisUrl, { maxRetriesPerRequest: 2, lazyConnect: true });
  try {
    await redis.connect();
  } catch (err) {
    redis.disconnect();
    throw new Error(`could not reach Redis at ${config.redisUrl} (${(err as Error).message}): start it, or set REDIS_URL`);
  }
  try {
    const gateway = new Gateway({
      processes: new RedisProcessRegistry(redis, { prefix: config.prefix }),
      rooms: new RedisRegistry(redis, { prefix: config.prefix }),
      env,
      ...(options.logger ? { logger: options.logger } : {}),
      ...(options.staticDir ? { staticDir: options.staticDir } : {}),
    });
    const address = await gateway.listen(options.port ?? config.port, options.host ?? config.host);
    return {
      gateway,
      url: address.url,
      port: address.port,
      close: async () => {
        await gateway.close();
        await redis.quit();
      },
    };
  } catch (err) {
    redis.disconnect();
    throw err;
  }
}
