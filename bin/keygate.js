#!/usr/bin/env node
// Launcher for the `keygate` CLI: registers tsx's ESM loader, then runs cli/main.ts.
// The path is resolved from this file, so it works from any working directory and
// through the symlink npm creates in node_modules/.bin.
import { register } from 'tsx/esm/api';

register();
await import(new URL('../local/quiet-warnings.ts', import.meta.url).href);
const { main } = await import(new URL('../cli/main.ts', import.meta.url).href);
process.exitCode = await main(process.argv);
