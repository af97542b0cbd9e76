import { MemoryBus } from './bus.js';
import { busContract } from './bus-contract.test-support.js';

busContract({
  name: 'in-memory',
  make: async () => {
    const hub = MemoryBus.hub();
    return [new MemoryBus(hub), new MemoryBus(hub)];
  },
  settle: () => new Promise((r) => setImmediate(r)),
});
