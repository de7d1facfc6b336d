/**
 * `npm run bench`: runs every bench/*.bench.js one after another, each in its own process (with --expose-gc
 * for memory figures), so one benchmark's heap and handles never colour another's. `npm run bench -- alarm`
 * runs only the benchmarks whose file name contains "alarm".
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

const filter = process.argv[2];
const files = fs
  .readdirSync(__dirname)
  .filter((f) => f.endsWith('.bench.js') && (!filter || f.includes(filter)))
  .sort();
if (files.length === 0) {
  process.stdout.write('no benchmarks found\n');
}
let failed = 0;
for (const file of files) {
  process.stdout.write(`\n=== ${file.replace(/\.js$/, '')} (node --expose-gc dist/bench/${file}) ===\n`);
  const result = spawnSync(process.execPath, ['--expose-gc', path.join(__dirname, file)], { stdio: 'inherit' });
  if (result.status !== 0) failed++;
}
process.exitCode = failed > 0 ? 1 : 0;
