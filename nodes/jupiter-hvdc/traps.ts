/**
 * What a trap does to a unit's alarms (docs/jupiter-hvdc.md): UPS-MIB alarm entry added/removed, on battery,
 * the profile's mapped vendor traps, and vendor flags carried in any trap's varbinds. Pure: the clock is passed in.
 */
import type { SnmpTrap } from '../../lib/snmp/types';
import { jupiterAlarm } from './alarms';
import type { UnitState } from './fleet';
import { OID, decodeRow, normaliseOid, upsAlarmId, wellKnownAlarmOf, type JupiterProfile } from './profile';

/** The unit a trap came from, by its source target. */
export function unitOfTrap<U extends Pick<UnitState, 'target'>>(units: readonly U[], trap: SnmpTrap): U | undefined {
  const from = trap.target;
  if (!from) return undefined;
  return units.find((u) => u.target && u.target.host === from.host && u.target.port === from.port);
}

/** Applies a trap to the unit; true when it changed something the unit's message shows. */
export function applyTrap(u: UnitState, trap: SnmpTrap, profile: JupiterProfile, now: number): boolean {
  const trapOid = normaliseOid(trap.trapOid);
  let touched = false;
  if (trapOid === OID.upsTrapAlarmEntryAdded || trapOid === OID.upsTrapAlarmEntryRemoved) {
    const added = trapOid === OID.upsTrapAlarmEntryAdded;
    for (const vb of trap.varbinds) {
      if (!normaliseOid(vb.oid).startsWith(OID.upsAlarmDescr + '.')) continue;
      const w = typeof vb.value === 'string' ? wellKnownAlarmOf(vb.value) : undefined;
      if (!w) continue;
      u.alarms.applyTrap(upsAlarmId(w), added, added ? w.name : 0, now);
      touched = true;
    }
  } else if (trapOid === OID.upsTrapOnBattery) {
    u.trapOnBattery = true;
    u.alarms.applyTrap('ac_interruption', true, 'OnBattery', now);
    touched = true;
  }
  for (const m of profile.traps) {
    if (m.trapOid !== trapOid) continue;
    u.alarms.applyTrap(m.alarm, m.action === 'raise', m.action === 'raise' ? 1 : 0, now);
    touched = true;
  }
  // a trap that carries a mapped vendor flag updates that alarm
  for (const vb of trap.varbinds) {
    const oid = normaliseOid(vb.oid);
    const row = profile.vendor.find((r) => r.oid === oid && (r.type === 'flag' || r.type === 'bitmask') && jupiterAlarm(r.key));
    if (!row) continue;
    const d = decodeRow(row, vb);
    if (d.kind !== 'value') continue;
    const def = jupiterAlarm(row.key);
    const alarmFlag = def?.signal.kind === 'flag' ? def.signal.alarmFlag : 1;
    u.alarms.applyTrap(row.key, d.value === 1, d.value === 1 ? alarmFlag : 1 - alarmFlag, now);
    touched = true;
  }
  return touched;
}
