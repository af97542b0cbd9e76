/**
 * The child-process side of the SQLite multi-process tests (see child-process.test-support.ts).
 *
 *   migrate PATH START_AT   wait until epoch ms START_AT (so sibling processes start together),
 *                           print "opening", open the storage (which migrates), then print the
 *                           applied versions and how long opening took, as JSON
 *   commit-and-kill PATH    commit a transact() and a checkpoint, print "committed", then
 *                           SIGKILL itself: no close(), no exit handlers, no flush
 *   grant-and-kill URL OPTIONS KEY CHARACTER
 *                           open URL with OPTIONS (JSON), add 100 xp to CHARACTER in a
 *                           transact() with KEY, and SIGKILL itself the moment it commits,
 *                           before answering anyone (nothing is printed after the commit)
 */
import { openStorage } from './index.js';

const [mode, path, arg] = process.argv.slice(2);
if (!mode || !path) throw new Error('usage: storage-child.test-support.ts <migrate|commit-and-kill> <path> [startAt]');

if (mode === 'migrate') {
  const startAt = Number(arg);
  while (Date.now() < startAt) await new Promise((resolve) => setTimeout(resolve, 1));
  process.stdout.write('opening\n');
  const started = Date.now();
  const storage = await openStorage({ url: path });
  const openMs = Date.now() - started;
  const rows = await storage.db.selectFrom('tickwire_migrations').select('version').orderBy('version').execute();
  process.stdout.write(`${JSON.stringify({ versions: rows.map((r) => r.version), openMs })}\n`);
  await storage.close();
} else if (mode === 'commit-and-kill') {
  const storage = await openStorage({ url: path });
  const outcome = await storage.transact('durable-key', async (tx) => {
    await tx.insertInto('rooms').values({ code: 'durable-room', meta: '{"written":"in transact"}', checkpoint_at: 1 }).execute();
    return { ok: true };
  });
  await storage.writeCheckpoint({ code: 'checkpointed', upsertEntities: [{ key: 'e', type: 't', data: { n: 42 } }], deleteEntities: [], upsertPlayers: [], at: 2 });
  process.stdout.write(`committed ${JSON.stringify(outcome)}\n`);
  process.kill(process.pid, 'SIGKILL');
} else if (mode === 'grant-and-kill') {
  const [, , options, key, character] = process.argv.slice(2);
  if (!options || !key || !character) throw new Error('usage: grant-and-kill <url> <options json> <key> <character>');
  const storage = await openStorage({ ...(JSON.parse(options) as object), url: path, logger: { warn: () => undefined } });
  process.stdout.write('opened\n');
  await storage.transact(key, (tx) => storage.players.addStat(character, 'xp', 100, tx));
  process.kill(process.pid, 'SIGKILL');
} else {
  throw new Error(`unknown mode ${mode}`);
}
