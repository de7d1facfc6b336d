#!/usr/bin/env node
'use strict';
// Writes docs/alarm-matrix.md from the matrix data (test/matrix/cases.ts) as built under dist/: run after
// `npm run build`. The matrix test fails when the committed file differs from what this writes.
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..');
const { renderMatrix } = require(path.join(root, 'dist', 'test', 'matrix', 'render.js'));
const out = path.join(root, 'docs', 'alarm-matrix.md');
fs.writeFileSync(out, renderMatrix());
process.stdout.write(`wrote ${path.relative(root, out)}\n`);
