import { expect } from 'chai';
import type { SnmpLink, SnmpTarget, SnmpVarbind } from '../../lib/snmp/types';
import { BACS_MODULE_TABLE, BACS_STRING_TABLE, decodeModuleTable, decodeStringTable, readSnmpTables, tableRows } from '../../nodes/bacs/snmp';
import { DEFAULT_MODULE_TEMPLATE, stringSizes } from '../../nodes/bacs/registers';
import { promiseLink } from '../helpers/snmp-link';

const INT = 2;
const vb = (oid: string, value: SnmpVarbind['value']): SnmpVarbind => ({ oid, type: INT, value });

/** a module table as a controller walks it: column by column, rows 1..n */
function moduleTable(rows: Array<[number, number, number, number, number, number]>): SnmpVarbind[] {
  const out: SnmpVarbind[] = [];
  for (let col = 1; col <= 6; col++) for (const r of rows) out.push(vb(`${BACS_MODULE_TABLE}.${col}.${r[0]}`, r[col - 1]));
  return out;
}

describe('BACS SNMP tables (verified route for module data)', () => {
  it('decodes the module table with the Checkmk scales and maps modules to strings', () => {
    const varbinds = moduleTable([
      [1, 1365, 253, 0, 512, 0],
      [2, 1348, -35, 40, 480, 3],
      [3, 1290, 261, 0, 1650, 77],
    ]);
    const modules = decodeModuleTable(varbinds, stringSizes(3, 2), DEFAULT_MODULE_TEMPLATE.stateCodes);
    expect(modules).to.deep.equal([
      { id: 1, string: 1, position: 1, voltage: 13.65, temperature: 25.3, resistance: 5.12, stateCode: 0, state: 'ok', available: true },
      { id: 2, string: 1, position: 2, voltage: 13.48, temperature: -3.5, resistance: 4.8, stateCode: 3, state: 'temperatureWarning', available: true },
      { id: 3, string: 2, position: 1, voltage: 12.9, temperature: 26.1, resistance: 16.5, stateCode: 77, state: 'code 77', available: true },
    ]);
  });

  it('leaves column .4 out (its meaning is not verified)', () => {
    const modules = decodeModuleTable(moduleTable([[1, 1365, 253, 55, 512, 0]]), [1], {});
    expect(modules[0]).to.not.have.property('equalizing');
  });

  it('numbers from 1 when the controller indexes rows from 0 (as the Checkmk plugin does)', () => {
    const modules = decodeModuleTable(moduleTable([[0, 1300, 250, 0, 500, 0], [1, 1310, 250, 0, 500, 0]]), [2], {});
    expect(modules.map((m) => m.id)).to.deep.equal([1, 2]);
    expect(modules[1].voltage).to.equal(13.1);
  });

  it('copes with bigint, string and missing values and with error varbinds', () => {
    const varbinds: SnmpVarbind[] = [
      vb(`${BACS_MODULE_TABLE}.1.1`, 1),
      vb(`${BACS_MODULE_TABLE}.2.1`, BigInt(1360)),
      vb(`${BACS_MODULE_TABLE}.3.1`, '250'),
      { oid: `${BACS_MODULE_TABLE}.5.1`, type: 128, value: null, error: 'noSuchInstance' },
      vb(`${BACS_MODULE_TABLE}.6.1`, Buffer.from('x')),
      vb('1.3.6.1.2.1.1.1.0', 'not ours'),
    ];
    expect(decodeModuleTable(varbinds, [1], {})).to.deep.equal([{ id: 1, string: 1, position: 1, voltage: 13.6, temperature: 25, available: true }]);
    expect(tableRows(BACS_MODULE_TABLE, [vb(`.${BACS_MODULE_TABLE}.2.7`, 5)]).get('7')?.get(2)).to.equal(5);
  });

  it('decodes the string table (÷100)', () => {
    const varbinds = [
      vb(`${BACS_STRING_TABLE}.1.1`, 1),
      vb(`${BACS_STRING_TABLE}.1.2`, 2),
      vb(`${BACS_STRING_TABLE}.2.1`, -4850),
      vb(`${BACS_STRING_TABLE}.2.2`, 62),
      vb(`${BACS_STRING_TABLE}.3.1`, 54480),
      vb(`${BACS_STRING_TABLE}.3.2`, 54520),
      vb(`${BACS_STRING_TABLE}.4.1`, 1362),
      vb(`${BACS_STRING_TABLE}.4.2`, 1363),
    ];
    expect(decodeStringTable(varbinds)).to.deep.equal([
      { index: 1, current: -48.5, voltage: 544.8, averageVoltage: 13.62 },
      { index: 2, current: 0.62, voltage: 545.2, averageVoltage: 13.63 },
    ]);
  });

  it('walks both tables through the SnmpLink contract', async () => {
    const walked: string[] = [];
    const link: SnmpLink = promiseLink({
      targets: () => [{ host: '10.0.0.5', port: 161 }],
      walk: async (_target: SnmpTarget, base: string) => {
        walked.push(base);
        return base === BACS_MODULE_TABLE ? moduleTable([[1, 1365, 253, 0, 512, 0]]) : [vb(`${BACS_STRING_TABLE}.1.1`, 1), vb(`${BACS_STRING_TABLE}.3.1`, 1365)];
      },
    });
    const tables = await readSnmpTables(link, { host: '10.0.0.5', port: 161 }, [1], DEFAULT_MODULE_TEMPLATE.stateCodes);
    expect(walked).to.deep.equal([BACS_MODULE_TABLE, BACS_STRING_TABLE]);
    expect(tables.modules[0]).to.include({ id: 1, voltage: 13.65, state: 'ok' });
    expect(tables.strings).to.deep.equal([{ index: 1, voltage: 13.65 }]);
  });
});
