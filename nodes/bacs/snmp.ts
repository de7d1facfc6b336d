/**
 * The verified route to per-module data: the BACS SNMP module and string tables (docs/bacs.md §4.3, §4.4), whose
 * OIDs and scales are confirmed by working public code (the Checkmk bacs_battery / bacs_string plugins).
 * Pure decoding of walked varbinds plus one helper that walks both tables through the shared SNMP link
 * (lib/snmp/types.ts). Unverified meanings stay out: module column .4 is not read (its meaning is unknown) and
 * the state codes of column .6 go through the same user-editable code map as the Modbus template.
 */
import type { SnmpLink, SnmpTarget, SnmpVarbind } from '../../lib/snmp/types';
import { equalizingLevel, ModuleReading, ModuleStateId, modulePosition, StringReading } from './registers';

export const BACS_MODULE_TABLE = '1.3.6.1.2.1.33.5.2.5.1';
export const BACS_STRING_TABLE = '1.3.6.1.2.1.33.5.2.7.1';

/** column → key and scale (divisor), per the Checkmk plugins */
export const SNMP_MODULE_COLUMNS: { [column: number]: { key: 'index' | 'voltage' | 'temperature' | 'resistance' | 'state'; divisor: number } } = {
  1: { key: 'index', divisor: 1 },
  2: { key: 'voltage', divisor: 100 }, // bacsModuleVoltage, V
  3: { key: 'temperature', divisor: 10 }, // bacsModuleTemperture (sic), °C
  // 4: not read by the plugin, meaning unknown (candidate: equalizing level) — left out until verified
  5: { key: 'resistance', divisor: 100 }, // bacsModuleResistance, mΩ
  6: { key: 'state', divisor: 1 }, // bacsModuleState, codes unverified
};

export const SNMP_STRING_COLUMNS: { [column: number]: { key: 'index' | 'current' | 'voltage' | 'averageVoltage'; divisor: number } } = {
  1: { key: 'index', divisor: 1 },
  2: { key: 'current', divisor: 100 }, // "string power" in the MIB comment, current per the plugin: unverified
  3: { key: 'voltage', divisor: 100 },
  4: { key: 'averageVoltage', divisor: 100 },
};

function numeric(v: SnmpVarbind): number | undefined {
  if (v.error) return undefined;
  if (typeof v.value === 'number' && Number.isFinite(v.value)) return v.value;
  if (typeof v.value === 'bigint') return Number(v.value);
  if (typeof v.value === 'string' && v.value.trim() !== '' && Number.isFinite(Number(v.value))) return Number(v.value);
  return undefined;
}

/** Rows of a walked table: row id (the OID suffix after the column) → column → value. */
export function tableRows(base: string, varbinds: SnmpVarbind[]): Map<string, Map<number, number>> {
  const prefix = base + '.';
  const rows = new Map<string, Map<number, number>>();
  for (const v of varbinds) {
    const oid = v.oid.startsWith('.') ? v.oid.slice(1) : v.oid;
    if (!oid.startsWith(prefix)) continue;
    const rest = oid.slice(prefix.length).split('.');
    const column = Number(rest[0]);
    const row = rest.slice(1).join('.');
    const value = numeric(v);
    if (!Number.isInteger(column) || row === '' || value === undefined) continue;
    let r = rows.get(row);
    if (!r) rows.set(row, (r = new Map()));
    r.set(column, value);
  }
  return rows;
}

function round(value: number, divisor: number): number {
  return Number((value / divisor).toFixed(Math.max(0, Math.ceil(Math.log10(divisor)) + 1)));
}

/** Row indexes as the controller numbers them; the plugin adds 1 when the first index is 0. */
function ids(rows: Map<string, Map<number, number>>): Array<[string, number]> {
  const list = [...rows.entries()].map(([row, cols]) => [row, cols.get(1) ?? Number(row.split('.').pop())] as [string, number]);
  const valid = list.filter(([, id]) => Number.isFinite(id));
  const zeroBased = valid.some(([, id]) => id === 0);
  return valid.map(([row, id]) => [row, zeroBased ? id + 1 : id] as [string, number]).sort((a, b) => a[1] - b[1]);
}

export function decodeModuleTable(
  varbinds: SnmpVarbind[],
  sizes: number[],
  stateCodes: { [code: string]: ModuleStateId },
): ModuleReading[] {
  const rows = tableRows(BACS_MODULE_TABLE, varbinds);
  return ids(rows).map(([row, id]) => {
    const cols = rows.get(row) as Map<number, number>;
    const { string, position } = modulePosition(id, sizes);
    const m: ModuleReading = { id, string, position, available: true };
    for (const [column, spec] of Object.entries(SNMP_MODULE_COLUMNS)) {
      const raw = cols.get(Number(column));
      if (raw === undefined || spec.key === 'index') continue;
      if (spec.key === 'state') {
        m.stateCode = raw;
        m.state = stateCodes[String(raw)] ?? `code ${raw}`;
      } else m[spec.key] = round(raw, spec.divisor);
    }
    if (m.equalizing !== undefined) m.equalizingLevel = equalizingLevel(m.equalizing);
    return m;
  });
}

export function decodeStringTable(varbinds: SnmpVarbind[]): StringReading[] {
  const rows = tableRows(BACS_STRING_TABLE, varbinds);
  return ids(rows).map(([row, index]) => {
    const cols = rows.get(row) as Map<number, number>;
    const s: StringReading = { index };
    for (const [column, spec] of Object.entries(SNMP_STRING_COLUMNS)) {
      const raw = cols.get(Number(column));
      if (raw === undefined || spec.key === 'index') continue;
      s[spec.key] = round(raw, spec.divisor);
    }
    return s;
  });
}

/** Walks both tables through the shared SNMP link (one session per target, GETBULK, its own timeouts). */
export async function readSnmpTables(
  link: SnmpLink,
  target: SnmpTarget,
  sizes: number[],
  stateCodes: { [code: string]: ModuleStateId } = {},
): Promise<{ modules: ModuleReading[]; strings: StringReading[] }> {
  const modules = await link.walk(target, BACS_MODULE_TABLE);
  const strings = await link.walk(target, BACS_STRING_TABLE);
  return { modules: decodeModuleTable(modules, sizes, stateCodes), strings: decodeStringTable(strings) };
}
