/**
 * Tests that need a service from the machine (PostgreSQL) skip with a message saying how to get
 * it, unless TICKWIRE_REQUIRE_SERVICES=1 (set by .ci/run), which turns the skip into a failure.
 * Exported as @tickwire/storage/testing so every package's tests share one rule.
 */
export const requireServices = process.env.TICKWIRE_REQUIRE_SERVICES === '1';

/** Returns undefined when available; otherwise the skip reason (or throws when required). */
export function unavailable(what: string, available: boolean, howToGet: string): string | undefined {
  if (available) return undefined;
  const message = `${what} is not available: ${howToGet}`;
  if (requireServices) throw new Error(`${message} (TICKWIRE_REQUIRE_SERVICES=1 makes this a failure)`);
  console.warn(`skipping: ${message}`);
  return message;
}
