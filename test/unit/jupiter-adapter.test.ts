/**
 * The Jupiter adapter without Node-RED: the units of a link and their contacts (fleet.ts), acInputOk merged from
 * alarms or the output source (message.ts), what a trap does (traps.ts), and what an answer or a failed poll does
 * to a unit (link.ts).
 */
import { expect } from 'chai';
import type { SnmpTrap } from '../../lib/snmp/types';
import { assembleFleet, targetLabel } from '../../nodes/jupiter-hvdc/fleet';
import { applyAnswer, applyFailure, planFor, readUnit, type UnitAnswer } from '../../nodes/jupiter-hvdc/link';
import { promiseLink } from '../helpers/snmp-link';
import { acInputOk, unitMessages, unitReading } from '../../nodes/jupiter-hvdc/message';
import { defaultProfile, OID } from '../../nodes/jupiter-hvdc/profile';
import { applyTrap, unitOfTrap } from '../../nodes/jupiter-hvdc/traps';

const profile = defaultProfile();
const targets = [
  { host: '10.0.0.1', port: 161 },
  { host: '10.0.0.2', port: 1161 },
];

function fleet() {
  return assembleFleet(
    targets,
    [],
    [{ n: 1, unit: 'rack-x', alarm: 'ac_breaker_open', type: 'NC', closedLevel: 1, debounceMs: 0, source: 'message' }] as never,
    targetLabel,
    'en-US',
    profile,
  );
}

function trap(trapOid: string, from = targets[0]): SnmpTrap {
  return { target: from, sourceAddress: from.host, trapOid, varbinds: [], receivedAt: 0 };
}

describe('jupiter adapter (pure)', () => {
  it('makes one unit per target, and a contacts-only unit for a contact naming a unit the link lacks', () => {
    const f = fleet();
    expect(f.units.map((u) => u.name)).to.deep.equal(['10.0.0.1', '10.0.0.2:1161', 'rack-x']);
    expect(f.units.filter((u) => u.target)).to.have.length(2);
    expect(f.contactByN.get(1)?.unit.name).to.equal('rack-x');
    expect(f.units[2].quality, 'a contacts-only unit starts good').to.equal('good');
  });

  it('acInputOk: the alarms say it when known, else the output source, else nothing', () => {
    const alarms = (known: string[], active: string[]) => ({ known: (id: string) => known.includes(id), isActive: (id: string) => active.includes(id) });
    expect(acInputOk(alarms(['ac_interruption'], []), true), 'alarms win over the source').to.equal(true);
    expect(acInputOk(alarms(['ac_breaker_open'], ['ac_breaker_open']), false)).to.equal(false);
    expect(acInputOk(alarms([], []), true)).to.equal(false);
    expect(acInputOk(alarms([], []), false)).to.equal(true);
    expect(acInputOk(alarms([], []), undefined)).to.equal(undefined);
  });

  it('an on-battery trap raises AC interruption and makes acInputOk false until the next poll', () => {
    const f = fleet();
    const u = unitOfTrap(f.units, trap(OID.upsTrapOnBattery));
    expect(u?.name).to.equal(f.units[0].name);
    expect(unitOfTrap(f.units, trap(OID.upsTrapOnBattery, { host: '10.9.9.9', port: 161 }))).to.equal(undefined);
    expect(applyTrap(f.units[0], trap(OID.upsTrapOnBattery), profile, 1000)).to.equal(true);
    const reading = unitReading(f.units[0]);
    expect(reading).to.include({ acInputOk: false, onBattery: true });
    expect(reading.alarms).to.include('ac_interruption');
    const msg = unitMessages(f.units[0], { prefix: 'jupiter', perValue: false }, 2000) as unknown as { topic: string; alarmEvents?: unknown[] };
    expect(msg.topic).to.equal(`jupiter/${f.units[0].name}`);
    expect(msg.alarmEvents).to.have.length(1);
    expect(applyTrap(f.units[0], trap('1.3.6.1.4.1.99999.1'), profile, 3000), 'an unknown trap changes nothing').to.equal(false);
  });

  it('a failed poll is comm_error; an answer with no values is noValues; the poll reads gets then walks', async () => {
    const f = fleet();
    const u = f.units[0];
    applyFailure(u, 5000);
    expect(u.quality).to.equal('comm_error');
    expect(u.alarms.active().map((a) => a.id)).to.include('network_interruption');
    const plan = planFor(u, profile);
    const asked: string[] = [];
    const link = promiseLink({
      targets: () => targets,
      get: async (_t: unknown, oids: string[]) => {
        asked.push(`get ${oids.length}`);
        return [];
      },
      walk: async (_t: unknown, base: string) => {
        asked.push(`walk ${base}`);
        return [];
      },
    });
    const answer = await new Promise<UnitAnswer>((resolve, reject) => readUnit(link, targets[0], plan, (err, read) => (err ? reject(err) : resolve(read as UnitAnswer))));
    expect(asked[0]).to.match(/^get /);
    expect(asked.slice(1)).to.deep.equal(plan.walks.map((w) => `walk ${w}`));
    const effect = applyAnswer(u, answer, plan, profile, { invertCurrent: false }, 6000);
    expect(effect.outcome.kind).to.equal('noValues');
    expect(u.quality).to.equal('bad_data');
    expect(u.readAt).to.equal(6000);
  });

  it('a link that throws instead of answering ends the unit read with that error (the poll ends, its schedule goes on)', async () => {
    const targets = [{ host: '10.0.0.9', port: 161 }];
    const f = assembleFleet(targets, [], [], (t) => t.host, 'en-US', profile);
    const plan = planFor(f.units[0], profile);
    const link = promiseLink({ targets: () => targets, get: async () => [] });
    link.walkThen = () => {
      throw new Error('walk refused');
    };
    const ends: string[] = [];
    await new Promise<void>((resolve) =>
      readUnit(link, targets[0], plan, (err) => {
        ends.push(err ? err.message : 'answer');
        resolve();
      }),
    );
    expect(ends).to.deep.equal(['walk refused']);
    expect(planFor(f.units[0], profile)).to.equal(plan); // one plan per profile, not one per poll
  });
});
