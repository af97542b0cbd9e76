import { ManualClock } from '@tickwire/protocol';
import { MemoryRegistry } from './registry.js';
import { registryContract } from './registry-contract.test-support.js';

let clock = new ManualClock(0);
registryContract({
  name: 'in-memory',
  make: async () => new MemoryRegistry((clock = new ManualClock(0))),
  advance: async (ms) => clock.advance(ms),
});
