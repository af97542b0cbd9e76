/**
 * Server limits for benchmarks: thousands of clients from one address (this machine), each
 * sending 20 inputs, a ping and the odd ACK a second, in one room or dozens. The defaults are
 * sized for players on the internet and would refuse a load generator as an attacker.
 */
import type { Limits } from '@tickwire/server';

export const loadTestLimits: Partial<Limits> = {
  messagesPerSecond: 1000,
  messageBurst: 1000,
  maxConnectionsPerAddress: 100_000,
  messagesPerSecondPerAddress: 10_000_000,
  roomCreationsPerMinutePerAddress: 100_000,
  maxDetachedSeatsPerAddress: 100_000,
};
