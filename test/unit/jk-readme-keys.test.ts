/** README's JK key table (between `<!-- jk-keys:start -->` and `<!-- jk-keys:end -->`) is the one the schema and the codecs give. */
import { expect } from 'chai';
import * as fs from 'fs';
import * as path from 'path';
import { jkKeyTable } from '../helpers/jk-key-table';
import { JK_SCHEMA } from '../../nodes/jk-bms/schema';

const readme = fs.readFileSync(path.resolve(__dirname, '..', '..', '..', 'README.md'), 'utf8');

describe('README JK key table', () => {
  const m = /<!-- jk-keys:start -->\n([\s\S]*?)\n<!-- jk-keys:end -->/.exec(readme);

  it('is the table generated from the schema and the protocols (node dist/test/helpers/jk-key-table.js)', () => {
    expect(m, 'markers in README.md').to.not.equal(null);
    expect((m as RegExpExecArray)[1]).to.equal(jkKeyTable());
  });

  it('names every key and field of the schema with its unit', () => {
    const rows = new Map(((m as RegExpExecArray)[1].match(/^\| `[^`]+` \| [^|]* \|/gm) ?? []).map((r) => {
      const [, key, unit] = /^\| `([^`]+)` \| ([^|]*) \|/.exec(r) as RegExpExecArray;
      return [key, unit.trim()];
    }));
    for (const [key, entry] of Object.entries(JK_SCHEMA.keys)) {
      const fields = entry.type === 'object' ? Object.entries(entry.fields ?? {}).map(([f, e]) => [`${key}.${f}`, e.unit] as const) : [[key, entry.unit] as const];
      for (const [name, unit] of fields) expect(rows.get(name), name).to.equal(unit);
    }
  });

  it('marks what the done criterion needs: every JK-PB setting and switch over JK02', () => {
    const table = (m as RegExpExecArray)[1];
    for (const key of ['settings.cellOvp', 'settings.maxChargeCurrent', 'switches.charge', 'temperatures', 'device.deviceName']) {
      const row = table.split('\n').find((l) => l.startsWith(`| \`${key}\``)) ?? '';
      expect(row.split('|')[4].trim(), `${key} over JK02`).to.equal('✓');
    }
  });
});
