#!/usr/bin/env node
'use strict';
// Writes the presets' rules into the example flows' alarm-rules nodes (test/matrix/examples.ts says which), from
// the build under dist/: run after `npm run build`. A test fails when an example differs from what this writes.
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..');
const { EXAMPLE_PRESETS, EXAMPLES_DIR, syncedExample } = require(path.join(root, 'dist', 'test', 'matrix', 'examples.js'));
for (const file of new Set(EXAMPLE_PRESETS.map((e) => e.file))) {
  fs.writeFileSync(path.join(EXAMPLES_DIR, file), syncedExample(file));
  process.stdout.write(`wrote examples/${file}\n`);
}
