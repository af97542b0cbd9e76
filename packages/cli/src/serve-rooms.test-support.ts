/** A game module for `tickwire serve` tests: the server harness's game, as room type 'harness'. */
import { gameRoom } from '../../server/src/harness.test-support.js';

export const rooms = { harness: gameRoom({ createOnJoin: false }) };
