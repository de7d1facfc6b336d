/**
 * The units one jupiter-hvdc node reports: one per target of its SNMP link, named by the dialog's rows, plus a
 * contacts-only unit for contacts that name a unit the link does not have. Pure: no Node-RED, no I/O.
 */
import type { Quality } from '../../lib/wire/envelope';
import type { SnmpTarget } from '../../lib/snmp/types';
import { ContactInput, type ContactConfig } from './contacts';
import type { DecodedUnit, JupiterProfile } from './profile';
import { UnitAlarms } from './unit';
import { resolveUnitNames, type MissingUnit, type UnitNameRow } from './naming';

/** one unit the node reports */
export interface UnitState {
  name: string;
  target?: SnmpTarget;
  alarms: UnitAlarms;
  contacts: ContactInput[];
  decoded?: DecodedUnit;
  quality: Quality;
  lastGood: number;
  lastUpTime?: number;
  entitySensor: boolean;
  readAt: number;
  /** set by an on-battery trap until the next poll says otherwise */
  trapOnBattery?: boolean;
}

export function targetLabel(t: SnmpTarget): string {
  return t.port === 161 ? t.host : `${t.host}:${t.port}`;
}

export function makeUnit(name: string, lang: 'en-US' | 'zh-CN', profile: JupiterProfile, target?: SnmpTarget): UnitState {
  return {
    name,
    target,
    alarms: new UnitAlarms(lang),
    contacts: [],
    quality: target ? 'stale' : 'good',
    lastGood: 0,
    entitySensor: profile.entitySensor !== 'off',
    readAt: 0,
  };
}

export interface Fleet {
  units: UnitState[];
  /** name rows whose unit the link does not have: shown in the status until the node is fixed */
  missing: MissingUnit[];
  duplicates: MissingUnit[];
  /** contact number → its unit and input */
  contactByN: Map<number, { unit: UnitState; input: ContactInput }>;
}

/** Units of the link's targets, named by the rows; contacts attach to their unit by name or target. */
export function assembleFleet(
  targets: readonly SnmpTarget[],
  rows: readonly UnitNameRow[],
  contacts: readonly ContactConfig[],
  nameOf: (t: SnmpTarget) => string,
  lang: 'en-US' | 'zh-CN',
  profile: JupiterProfile,
): Fleet {
  const naming = resolveUnitNames(rows, targets, nameOf);
  const units = targets.map((target, i) => makeUnit(naming.names.get(i) ?? nameOf(target), lang, profile, target));
  const byName = new Map(units.map((u) => [u.name, u]));
  for (const c of contacts) {
    const wanted = c.unit !== '' ? c.unit : (units[0]?.name ?? 'jupiter');
    let unit = byName.get(wanted) ?? units.find((u) => u.target && (targetLabel(u.target) === wanted || `${u.target.host}:${u.target.port}` === wanted));
    if (!unit) {
      unit = makeUnit(wanted, lang, profile);
      units.push(unit);
      byName.set(wanted, unit);
    }
    unit.contacts.push(new ContactInput(c));
  }
  const contactByN = new Map<number, { unit: UnitState; input: ContactInput }>();
  for (const u of units) for (const input of u.contacts) contactByN.set(input.config.n, { unit: u, input });
  return { units, missing: naming.missing, duplicates: naming.duplicates, contactByN };
}
