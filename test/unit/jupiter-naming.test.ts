/** Unit names of the jupiter-hvdc node: rows name the link's units by position; older rows by address. */
import { expect } from 'chai';
import { missingSummary, parseUnitRows, resolveUnitNames } from '../../nodes/jupiter-hvdc/naming';
import { parseTargets, targetName } from '../../lib/snmp/targets';
import type { SnmpTarget } from '../../lib/snmp/types';

function link(spec: string, port = 161): { targets: SnmpTarget[]; nameOf: (t: SnmpTarget) => string } {
  const parsed = parseTargets(spec, port);
  if (!parsed.ok) throw new Error(parsed.error.message);
  return { targets: parsed.value, nameOf: (t) => targetName(t, port) };
}

describe('jupiter-hvdc unit names', () => {
  it('reads rows as flows store them, an array or its JSON text, dropping rows without a name', () => {
    expect(parseUnitRows([{ name: ' rack-1 ', position: 1 }, { name: '', position: 2 }, { position: 3 }, null, 'x'])).to.deep.equal([{ name: 'rack-1', position: 1 }]);
    expect(parseUnitRows('[{"name":"rack-2","position":"2"}]')).to.deep.equal([{ name: 'rack-2', position: 2 }]);
    expect(parseUnitRows('not json')).to.deep.equal([]);
    expect(parseUnitRows(undefined)).to.deep.equal([]);
    // an older row keeps its address; a position wins where a row has both
    expect(parseUnitRows([{ name: 'a', target: '10.0.0.1' }, { name: 'b', target: '10.0.0.2', position: 1 }, { name: 'c', position: 0, target: '10.0.0.3' }])).to.deep.equal([
      { name: 'a', target: '10.0.0.1' },
      { name: 'b', position: 1 },
      { name: 'c', target: '10.0.0.3' },
    ]);
  });

  it('names units by their place in the link, so the same rows name the units of a changed link', () => {
    const rows = parseUnitRows([{ name: 'rack-1', position: 1 }, { name: 'rack-3', position: 3 }]);
    const demo = link('127.0.0.1:16161-16163');
    const site = link('10.0.0.1-3');
    for (const l of [demo, site]) {
      const n = resolveUnitNames(rows, l.targets, l.nameOf);
      expect([...n.names]).to.deep.equal([
        [0, 'rack-1'],
        [2, 'rack-3'],
      ]);
      expect(n.missing).to.deep.equal([]);
    }
  });

  it('still names the unit at the address an older row carries, in host or host:port form', () => {
    const l = link('10.0.0.1, 10.0.0.2:1161, 10.0.0.3');
    const n = resolveUnitNames(parseUnitRows([{ name: 'b', target: '10.0.0.2:1161' }, { name: 'c', target: '10.0.0.3' }, { name: 'a', target: '10.0.0.1:161' }]), l.targets, l.nameOf);
    expect([...n.names].sort()).to.deep.equal([
      [0, 'a'],
      [1, 'b'],
      [2, 'c'],
    ]);
  });

  it('reports rows whose unit the link does not have, and rows that name a unit or use a name twice', () => {
    const l = link('10.0.0.1-2');
    const n = resolveUnitNames(
      parseUnitRows([
        { name: 'rack-1', position: 1 },
        { name: 'rack-3', position: 3 },
        { name: 'old', target: '10.0.0.9' },
        { name: 'again', position: 1 },
        { name: 'rack-1', position: 2 },
      ]),
      l.targets,
      l.nameOf,
    );
    expect([...n.names]).to.deep.equal([[0, 'rack-1']]);
    expect(n.missing).to.deep.equal([
      { name: 'rack-3', ref: '#3' },
      { name: 'old', ref: '10.0.0.9' },
    ]);
    expect(n.duplicates).to.deep.equal([
      { name: 'again', ref: '#1' },
      { name: 'rack-1', ref: '#2' },
    ]);
    expect(missingSummary(n.missing)).to.equal('rack-3 +1');
    expect(missingSummary(n.missing.slice(0, 1))).to.equal('rack-3');
    expect(missingSummary([])).to.equal('');
  });
});
