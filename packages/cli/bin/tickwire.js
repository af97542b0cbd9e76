#!/usr/bin/env node
// The CLI is TypeScript run through tsx, so the arena's shared protocol is used as written.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/main.ts');
const code = await main(process.argv.slice(2));
// Sockets still finishing their close handshakes must not keep a finished run alive.
process.exit(code);
