#!/usr/bin/env node
// The `tickwire` command: a launcher for the compiled CLI in dist/. It is a checked-in file
// rather than dist/ itself so that npm can link the command before the first build has run.
let cli;
try {
  cli = await import('../dist/main.js');
} catch (err) {
  if (err?.code !== 'ERR_MODULE_NOT_FOUND' || !String(err.message).includes('dist/main.js')) throw err;
  console.error('tickwire is not built: run "npm run build" (tsc -b) in the tickwire repository, or install the published package');
  process.exit(1);
}
const code = await cli.main(process.argv.slice(2));
// Sockets still finishing their close handshakes must not keep a finished run alive.
process.exit(code);
