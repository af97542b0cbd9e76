/**
 * The `tickwire` command from this repository's sources (no build needed): what
 * `npm run cluster` starts each gateway and game process with.
 *
 *   node --conditions=source --import tsx scripts/tickwire.ts serve --rooms scripts/cluster-rooms.ts
 */
import { main } from 'tickwire';

process.exit(await main(process.argv.slice(2)));
