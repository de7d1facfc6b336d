/**
 * The Jupiter adapter's poll: how one unit is read over the snmp-endpoint link (readUnit) and what the answer,
 * or its failure, does to the unit (applyAnswer, applyFailure; pure, the clock is passed in).
 */
import type { SnmpLink, SnmpTarget, SnmpVarbind } from '../../lib/snmp/types';
import { describeViolations } from '../../lib/plausibility';
import type { UnitState } from './fleet';
import { OID, answerFrom, decodeUnit, pollPlan, type JupiterProfile } from './profile';
import { screenUnit } from './screen';

export interface UnitAnswer {
  gets: SnmpVarbind[];
  walks: [string, SnmpVarbind[]][];
}

/** The plan's gets, then its walks; a table the agent does not have is an empty walk, not a failure. */
export async function readUnit(link: SnmpLink, target: SnmpTarget, plan: { gets: string[]; walks: string[] }): Promise<UnitAnswer> {
  const gets = await link.get(target, plan.gets);
  const walks: [string, SnmpVarbind[]][] = [];
  for (const base of plan.walks) walks.push([base, await link.walk(target, base)]);
  return { gets, walks };
}

export function planFor(u: UnitState, profile: JupiterProfile): { gets: string[]; walks: string[] } {
  return pollPlan(profile, { entitySensor: u.entitySensor });
}

/** `good`: values, all plausible; `implausible`: values, some dropped (named); `noValues`: nothing usable */
export type PollOutcome = { kind: 'good' } | { kind: 'implausible'; keys: string } | { kind: 'noValues'; invalid: string };

export interface AnswerEffect {
  outcome: PollOutcome;
  /** the agent's uptime went back: the unit restarted since the last poll */
  restarted: boolean;
}

/** Decodes an answer into the unit: values screened against the physical ranges, alarms merged. */
export function applyAnswer(
  u: UnitState,
  answer: UnitAnswer,
  plan: { walks: string[] },
  profile: JupiterProfile,
  options: { invertCurrent: boolean },
  now: number,
): AnswerEffect {
  // values no unit can have are dropped before anything uses them (ranges.ts); the message names them
  const decoded = screenUnit(decodeUnit(profile, answerFrom(answer.gets, answer.walks)), profile);
  if (options.invertCurrent && typeof decoded.values.batteryCurrent === 'number') decoded.values.batteryCurrent = -decoded.values.batteryCurrent;
  if (plan.walks.includes(OID.entPhySensorEntry) && !decoded.entitySensorSeen) u.entitySensor = false; // the agent has no sensor table
  const up = decoded.identity.upTimeSeconds;
  const restarted = up !== undefined && u.lastUpTime !== undefined && up + 1 < u.lastUpTime;
  if (up !== undefined) u.lastUpTime = up;
  const anyValue = Object.keys(decoded.values).length > 0 || decoded.upsAlarms.length > 0 || Object.keys(decoded.flagAlarms).length > 0;
  u.decoded = decoded;
  u.readAt = now;
  u.trapOnBattery = undefined;
  let outcome: PollOutcome;
  if (!anyValue) {
    u.quality = 'bad_data';
    outcome = { kind: 'noValues', invalid: decoded.invalid.join(', ') || '-' };
  } else {
    u.quality = decoded.badKeys ? 'bad_data' : 'good';
    u.lastGood = now;
    outcome = decoded.badKeys ? { kind: 'implausible', keys: describeViolations(decoded.violations ?? []) } : { kind: 'good' };
  }
  u.alarms.applySnmp(decoded, profile.upsMib && plan.walks.includes(OID.upsAlarmDescr), now);
  return { outcome, restarted };
}

/** A poll that failed: the unit is comm_error and raises its network-interruption alarm. */
export function applyFailure(u: UnitState, now: number): void {
  u.quality = 'comm_error';
  u.readAt = now;
  u.alarms.applyCommFailure(now);
}
