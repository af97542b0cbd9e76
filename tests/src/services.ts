/**
 * Tests that need something from the machine (a browser, PostgreSQL, Redis) skip with a message
 * saying how to get it, unless TICKWIRE_REQUIRE_SERVICES=1 (set by .ci/run).
 */
export { requireServices, unavailable } from '@tickwire/storage/testing';
