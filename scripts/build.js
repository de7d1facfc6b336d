#!/usr/bin/env node
'use strict';
// Builds the package: TypeScript to CommonJS under dist/, then copies what Node-RED expects next to each
// node's .js (the editor .html, locales/, icons/) and the JSON data files the code loads at run time.
const { execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..');
const dist = path.join(root, 'dist');
const tsc = require.resolve('typescript/bin/tsc');
execFileSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.json')], { stdio: 'inherit' });

const COPIED = /\.(html|json|png|svg|csv|txt)$/;
function copyAssets(dir) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const from = path.join(dir, entry.name);
    if (entry.isDirectory()) { copyAssets(from); continue; }
    if (!COPIED.test(entry.name)) continue;
    const to = path.join(dist, path.relative(root, from));
    fs.mkdirSync(path.dirname(to), { recursive: true });
    fs.copyFileSync(from, to);
  }
}
for (const top of ['nodes', 'lib', 'bin', 'test', 'bench']) {
  if (fs.existsSync(path.join(root, top))) copyAssets(path.join(root, top));
}
// The status and error texts every node shares live once in lib/locales/<lang>/common.json; each node's
// catalogue gets them under "common" so RED._('common.status.ok') works in every node's namespace.
function mergeCommonLocales(dir) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) { mergeCommonLocales(full); continue; }
    const lang = path.basename(path.dirname(full));
    if (!entry.name.endsWith('.json') || path.basename(path.dirname(path.dirname(full))) !== 'locales') continue;
    const commonFile = path.join(root, 'lib', 'locales', lang, 'common.json');
    if (!fs.existsSync(commonFile)) continue;
    const catalogue = JSON.parse(fs.readFileSync(full, 'utf8'));
    catalogue.common = { ...JSON.parse(fs.readFileSync(commonFile, 'utf8')), ...(catalogue.common || {}) };
    fs.writeFileSync(full, JSON.stringify(catalogue, null, 2));
  }
}
if (fs.existsSync(path.join(dist, 'nodes'))) mergeCommonLocales(path.join(dist, 'nodes'));

const bin = path.join(dist, 'bin', 'dcpower.js');
if (fs.existsSync(bin)) fs.chmodSync(bin, 0o755);
