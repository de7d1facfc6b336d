/**
 * Unit names of a jupiter-hvdc node. The snmp-endpoint link is the one place a unit's address lives; a name row
 * of the node refers to the link's unit by its place in the link's list (`position`, 1 = first), so changing the
 * link's addresses (a range for the simulator's ports) keeps every name, topic and alarm id.
 *
 * Rows of earlier versions carry the address itself (`{ name, target: "127.0.0.1:16161" }`); they still name the
 * unit at that address, so an existing flow keeps its topics, and the dialog turns them into positions.
 * Pure: no Node-RED, never throws on what a flow holds.
 */
import type { SnmpTarget } from '../../lib/snmp/types';

export interface UnitNameRow {
  name: string;
  /** 1-based place of the unit in the link's target list */
  position?: number;
  /** older flows: the unit's address as `host` or `host:port` */
  target?: string;
}

/** a name row that names no unit */
export interface MissingUnit {
  name: string;
  /** how the row refers to it: `#3` (third unit of the link) or the address an older row carries */
  ref: string;
}

export interface UnitNaming {
  /** name of the link's unit at each index (0-based), where one is named */
  names: Map<number, string>;
  /** rows whose unit the link does not have */
  missing: MissingUnit[];
  /** rows naming a unit another row already named, or reusing a name: two units on one topic would mix */
  duplicates: MissingUnit[];
}

function positionOf(v: unknown): number | undefined {
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  return typeof n === 'number' && Number.isInteger(n) && n >= 1 ? n : undefined;
}

/** the rows as the flow stores them (an array, or its JSON text); rows without a name are dropped */
export function parseUnitRows(raw: unknown): UnitNameRow[] {
  let list: unknown = raw;
  if (typeof raw === 'string') {
    try {
      list = raw.trim() === '' ? [] : JSON.parse(raw);
    } catch {
      list = [];
    }
  }
  if (!Array.isArray(list)) return [];
  const out: UnitNameRow[] = [];
  for (const u of list) {
    if (typeof u !== 'object' || u === null) continue;
    const r = u as Record<string, unknown>;
    const name = typeof r.name === 'string' ? r.name.trim() : '';
    if (name === '') continue;
    const position = positionOf(r.position);
    const target = typeof r.target === 'string' ? r.target.trim() : '';
    out.push({ name, ...(position !== undefined ? { position } : {}), ...(position === undefined && target !== '' ? { target } : {}) });
  }
  return out;
}

/** the link's unit an address names: `host:port`, or `host` / the link's own name for a unit on its default port */
export function indexOfAddress(address: string, targets: readonly SnmpTarget[], nameOf: (t: SnmpTarget) => string): number {
  return targets.findIndex((t) => address === `${t.host}:${t.port}` || address === nameOf(t));
}

/**
 * Which of the link's units each row names. A unit named twice, or a name used twice, keeps the first row; the
 * others are reported as duplicates. A row whose position or address the link does not have is missing.
 */
export function resolveUnitNames(rows: readonly UnitNameRow[], targets: readonly SnmpTarget[], nameOf: (t: SnmpTarget) => string): UnitNaming {
  const names = new Map<number, string>();
  const missing: MissingUnit[] = [];
  const duplicates: MissingUnit[] = [];
  const taken = new Set<string>();
  for (const row of rows) {
    let index = -1;
    let ref: string;
    if (row.position !== undefined) {
      ref = `#${row.position}`;
      index = row.position <= targets.length ? row.position - 1 : -1;
    } else {
      ref = row.target ?? '';
      index = row.target ? indexOfAddress(row.target, targets, nameOf) : -1;
    }
    if (index < 0) {
      missing.push({ name: row.name, ref });
      continue;
    }
    if (names.has(index) || taken.has(row.name)) {
      duplicates.push({ name: row.name, ref });
      continue;
    }
    names.set(index, row.name);
    taken.add(row.name);
  }
  return { names, missing, duplicates };
}

/** `rack-3` or `rack-3 +2` for the status line, which has room for one name */
export function missingSummary(missing: readonly MissingUnit[]): string {
  if (missing.length === 0) return '';
  return missing.length === 1 ? missing[0].name : `${missing[0].name} +${missing.length - 1}`;
}
