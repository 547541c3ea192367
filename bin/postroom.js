#!/usr/bin/env node
// The installed `postroom` command: Node 24 runs the TypeScript sources directly.
import '../src/main.ts';
