/**
 * The Jupiter adapter's poll: how one unit is read over the snmp-endpoint link (readUnit) and what the answer,
 * or its failure, does to the unit (applyAnswer, applyFailure; pure, the clock is passed in).
 */
import type { SnmpDone, SnmpLink, SnmpTarget, SnmpVarbind } from '../../lib/snmp/types';
import { describeViolations } from '../../lib/plausibility';
import type { UnitState } from './fleet';
import { OID, answerFrom, decodeUnit, pollPlan, type JupiterProfile, type PollPlan } from './profile';
import { screenUnit } from './screen';

export interface UnitAnswer {
  gets: SnmpVarbind[];
  walks: [string, SnmpVarbind[]][];
}

/**
 * The plan's gets, then its walks; a table the agent does not have is an empty walk, not a failure. Callbacks to
 * the end: this runs once per unit-poll, and a promise made at send time and resolved with the answer a round trip
 * later keeps the answer alive in V8 past its use (README, "Performance").
 */
export function readUnit(link: SnmpLink, target: SnmpTarget, plan: PollPlan, done: SnmpDone<UnitAnswer>): void {
  ask(done, () =>
    link.getThen(target, plan.gets, (err, gets) => {
      if (err) done(err);
      else readWalks(link, target, plan.walks, 0, gets as SnmpVarbind[], [], done);
    }),
  );
}

function readWalks(link: SnmpLink, target: SnmpTarget, bases: string[], next: number, gets: SnmpVarbind[], walks: [string, SnmpVarbind[]][], done: SnmpDone<UnitAnswer>): void {
  if (next >= bases.length) return done(null, { gets, walks });
  ask(done, () =>
    link.walkThen(target, bases[next], (err, rows) => {
      if (err) return done(err);
      walks.push([bases[next], rows as SnmpVarbind[]]);
      readWalks(link, target, bases, next + 1, gets, walks, done);
    }),
  );
}

/** A request that throws instead of answering ends the read with that error: a poll that never ends stops its unit's schedule. */
function ask(done: SnmpDone<UnitAnswer>, request: () => void): void {
  try {
    request();
  } catch (err) {
    done(err instanceof Error ? err : new Error(String(err)));
  }
}

/** plans by profile, with and without the sensor table: the same for every unit and poll until the profile changes */
const plans = new WeakMap<JupiterProfile, { withSensor?: PollPlan; without?: PollPlan }>();

export function planFor(u: UnitState, profile: JupiterProfile): PollPlan {
  let known = plans.get(profile);
  if (!known) plans.set(profile, (known = {}));
  if (u.entitySensor) return (known.withSensor ??= pollPlan(profile, { entitySensor: true }));
  return (known.without ??= pollPlan(profile, { entitySensor: false }));
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
