/**
 * docs/sparkplug-conformance.md is what an integrator reads; test/helpers/sparkplug-tck.ts is what the
 * integration tests run. They must say the same: every statement, its level and its result, and the totals.
 */
import { expect } from 'chai';
import * as fs from 'fs';
import * as path from 'path';
import { STATEMENTS } from '../../helpers/sparkplug-tck';

const DOC = path.resolve(__dirname, '../../../../docs/sparkplug-conformance.md');

describe('docs/sparkplug-conformance.md', () => {
  const text = fs.readFileSync(DOC, 'utf8');
  const rows = [...text.matchAll(/^\| `(tck-id-[A-Za-z0-9-]+)` \| (MUST|SHOULD|MAY) \| .* \| (pass|n\/a)(?: \(MQTT (?:3\.1\.1|5) only\))? \| .*\|$/gm)].map((m) => ({
    id: m[1],
    level: m[2],
    result: m[3],
  }));

  it('lists every statement of the registry once, with its level and result', () => {
    expect(rows.map((r) => r.id)).to.have.members(STATEMENTS.map((s) => s.id));
    expect(new Set(rows.map((r) => r.id)).size).to.equal(rows.length);
    const byId = new Map(STATEMENTS.map((s) => [s.id, s]));
    for (const r of rows) expect({ level: r.level, result: r.result }, r.id).to.deep.equal({ level: byId.get(r.id)?.level, result: byId.get(r.id)?.result });
  });

  it('states the totals the registry has', () => {
    const pass = STATEMENTS.filter((s) => s.result === 'pass');
    const level = (l: string): number => pass.filter((s) => s.level === l).length;
    const glance = `${STATEMENTS.length} statements, ${pass.length} pass, ${STATEMENTS.length - pass.length} not applicable`;
    expect(text).to.contain(glance);
    expect(text).to.contain(`Of the ${pass.length}, ${level('MUST')} are MUST, ${level('SHOULD')} SHOULD, ${level('MAY')}`);
  });

  it('gives a reason for every statement that does not apply', () => {
    for (const s of STATEMENTS.filter((x) => x.result === 'n/a')) expect(s.note, s.id).to.be.a('string').and.not.equal('');
  });
});
