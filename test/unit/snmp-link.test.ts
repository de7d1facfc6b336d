/** Pure parts of the SNMP link: target lists, trap matching, the in-flight limiter, and the simulator's physics. */
import { expect } from 'chai';
import * as snmp from 'net-snmp';
import { parseTargets, targetName } from '../../lib/snmp/targets';
import { classifyReceiveError, matchTarget, trapOidOf } from '../../lib/snmp/receiver';
import { Limiter, LimitedWork, SnmpClient } from '../../lib/snmp/session';
import * as v8 from 'v8';
import * as vm from 'vm';
import { compareOids, oidInSubtree } from '../../lib/snmp/varbinds';
import { unitState, UPS_ALARM } from '../../nodes/jupiter-hvdc/simulator';

/** a full collection, without starting mocha with --expose-gc */
function collectGarbage(): void {
  v8.setFlagsFromString('--expose-gc');
  (vm.runInNewContext('gc') as () => void)();
}

/** work for the Limiter that runs `begin` when it gets its slot */
function limitedWork(begin: () => void = () => undefined): LimitedWork {
  return { startedAt: 0, counted: false, olderWork: undefined, newerWork: undefined, begin };
}

describe('SNMP link (unit)', () => {
  describe('parseTargets', () => {
    it('expands lists, address ranges (full and last-octet) and port ranges, dropping duplicates', () => {
      const r = parseTargets('10.0.0.1-10.0.0.3, 10.0.0.3\n10.0.1.7:1161; 127.0.0.1:16161-16163 10.0.2.9-10', 161);
      expect(r.ok).to.equal(true);
      if (!r.ok) return;
      expect(r.value.map((t) => `${t.host}:${t.port}`)).to.deep.equal([
        '10.0.0.1:161', '10.0.0.2:161', '10.0.0.3:161', '10.0.1.7:1161',
        '127.0.0.1:16161', '127.0.0.1:16162', '127.0.0.1:16163', '10.0.2.9:161', '10.0.2.10:161',
      ]);
      expect(targetName(r.value[0], 161)).to.equal('10.0.0.1');
      expect(targetName(r.value[3], 161)).to.equal('10.0.1.7:1161');
    });

    it('refuses backwards ranges, bad ports, bad hosts and absurd sizes with the entry named', () => {
      for (const bad of ['10.0.0.9-10.0.0.1', 'host:0', 'host:70000', 'host:1-', 'bad host!', '10.0.0.0-10.255.255.255', '127.0.0.1:1000-60000']) {
        const r = parseTargets(bad, 161);
        expect(r.ok, bad).to.equal(false);
      }
      const r = parseTargets('ok.example, 10.0.0.5-3', 161);
      expect(r.ok).to.equal(false);
      if (!r.ok) expect(r.error.entry).to.equal('10.0.0.5-3');
    });
  });

  it('matches a trap by agent-addr, then source address, then source port among units sharing an address', () => {
    const targets = [{ host: '10.0.0.1', port: 161 }, { host: '127.0.0.1', port: 16161 }, { host: '127.0.0.1', port: 16162 }];
    expect(matchTarget(targets, '192.168.1.1', 5000, '10.0.0.1')).to.deep.equal(targets[0]);
    expect(matchTarget(targets, '10.0.0.1', 40000)).to.deep.equal(targets[0]);
    expect(matchTarget(targets, '127.0.0.1', 16162)).to.deep.equal(targets[2]);
    expect(matchTarget(targets, '127.0.0.1', 40000)).to.equal(undefined);
    expect(matchTarget(targets, '10.9.9.9', 1)).to.equal(undefined);
  });

  it('names v1 traps per RFC 3584 and v2 traps by snmpTrapOID.0', () => {
    expect(trapOidOf({ type: 164, enterprise: '1.3.6.1.2.1.33.2', generic: 6, specific: 3 })).to.equal('1.3.6.1.2.1.33.2.0.3');
    expect(trapOidOf({ type: 164, enterprise: '1.3.6.1.4.1.1', generic: 0, specific: 0 })).to.equal('1.3.6.1.6.3.1.1.5.1');
    expect(trapOidOf({ type: 167, varbinds: [{ oid: '1.3.6.1.6.3.1.1.4.1.0', value: '1.3.6.1.2.1.33.2.1' }] })).to.equal('1.3.6.1.2.1.33.2.1');
  });

  it('compares OIDs numerically and tells subtree membership', () => {
    expect(compareOids('1.3.6.1.2', '1.3.6.1.10')).to.be.lessThan(0);
    expect(compareOids('1.3.6.1', '1.3.6.1.0')).to.be.lessThan(0);
    expect(oidInSubtree('1.3.6.1.2.1.33.1', '1.3.6.1.2.1.33')).to.equal(true);
    expect(oidInSubtree('1.3.6.1.2.1.330', '1.3.6.1.2.1.33')).to.equal(false);
  });

  it('the limiter bounds tasks in flight and frees the slot of a task that is slow to finish', async () => {
    const limiter = new Limiter(2, 50);
    const order: string[] = [];
    // two tasks that never end, so never release their slots
    limiter.start(limitedWork());
    limiter.start(limitedWork());
    expect(limiter.inFlight).to.equal(2);
    const third = new Promise<void>((resolve) =>
      limiter.start(
        limitedWork(() => {
          order.push('third ran');
          resolve();
        }),
      ),
    );
    expect(order).to.deep.equal([]);
    await third; // started once the stuck tasks stopped counting
    expect(order).to.deep.equal(['third ran']);
    limiter.clear();
  });

  it('the limiter lets go of work the moment it is released, slow work oldest first, and everything on clear', async () => {
    const limiter = new Limiter(8, 40);
    const works = [limitedWork(), limitedWork(), limitedWork(), limitedWork()];
    for (const w of works) limiter.start(w);
    expect(limiter.inFlight).to.equal(4);
    // ended work leaves the list at once: nothing of it (its promise, the answer it resolved) is kept to the sweep
    limiter.release(works[1]);
    expect(works[1].olderWork).to.equal(undefined);
    expect(works[1].newerWork).to.equal(undefined);
    expect(works[0].newerWork).to.equal(works[2]);
    expect(works[2].olderWork).to.equal(works[0]);
    // an ended answer is collectable while the rest of the list is still counted
    const answer = await (async () => {
      const w = limitedWork();
      const held = { varbinds: new Array(1000).fill('1.3.6.1.2.1.1.3.0') };
      (w as LimitedWork & { held?: object }).held = held;
      limiter.start(w);
      limiter.release(w);
      return new WeakRef(held);
    })();
    await new Promise((r) => setImmediate(r));
    collectGarbage();
    expect(answer.deref(), 'released work still reachable from the limiter').to.equal(undefined);
    // slow work stops counting after slowAfter, oldest first; new work still counts
    const fresh = limitedWork();
    await new Promise((r) => setTimeout(r, 70));
    limiter.start(fresh);
    await new Promise((r) => setTimeout(r, 20));
    expect(works.map((w) => w.counted)).to.deep.equal([false, false, false, false]);
    expect(fresh.counted).to.equal(true);
    expect(limiter.inFlight).to.equal(1);
    limiter.clear();
    expect(fresh.counted).to.equal(false);
    expect(limiter.inFlight).to.equal(0);
  });

  describe('simulator physics', () => {
    it('normal: 240 V bus, floating battery, no alarms', () => {
      const s = unitState('normal', 100);
      expect(s.dcOutputVoltage).to.equal(240);
      expect(s.batteryVoltage).to.be.within(235, 245);
      expect(s.alarms).to.deep.equal([]);
    });
    it('discharge-to-low-voltage: DC output below 204 V, low then depleted battery, OutputBad raised', () => {
      const early = unitState('discharge-to-low-voltage', 0);
      expect(early.onBattery).to.equal(true);
      expect(early.alarms).to.include.members([UPS_ALARM.onBattery, UPS_ALARM.inputBad]);
      const late = unitState('discharge-to-low-voltage', 29);
      expect(late.dcOutputVoltage).to.be.lessThan(204);
      expect(late.alarms).to.include.members([UPS_ALARM.outputBad, UPS_ALARM.depletedBattery]);
    });
    it('recovery: on battery first, back on mains after the recovery time', () => {
      expect(unitState('recovery', 5, 0, 10).onBattery).to.equal(true);
      expect(unitState('recovery', 15, 0, 10).onBattery).to.equal(false);
    });
    it('rectifier-fault: one rectifier in fault, ChargerFailed raised', () => {
      const s = unitState('rectifier-fault', 1);
      expect(s.rectifierStates.filter((x) => x === 2)).to.have.length(1);
      expect(s.alarms).to.deep.equal([UPS_ALARM.chargerFailed]);
    });
  });

  it("sorts net-snmp's receive errors into drop kinds without its texts' community, digest or raw bytes", () => {
    const err = (name: string, message: string, extra: object = {}): Error => Object.assign(new Error(message), { name, rinfo: { address: '10.0.0.9' } }, extra);
    expect(classifyReceiveError(err('RequestFailedError', 'Local community not found for message with community s3cret\x1b[2J'))).to.deep.equal({ kind: 'community' });
    expect(classifyReceiveError(err('RequestFailedError', 'Local user not found for message with user evil'))).to.deep.equal({ kind: 'user' });
    const digest = classifyReceiveError(err('ResponseInvalidError', 'Authentication digest 00aa received in message does not match digest 1ffdf1d50fbec711b7 calculated for message', { code: snmp.ResponseInvalidCode.EAuthFailure }));
    expect(digest).to.deep.equal({ kind: 'auth', detail: 'digest mismatch' });
    expect(classifyReceiveError(err('ResponseInvalidError', 'Failed to decrypt PDU: TypeError: bad', { code: snmp.ResponseInvalidCode.ECouldNotDecrypt }))).to.deep.equal({ kind: 'auth', detail: 'decryption failed' });
    expect(classifyReceiveError(err('RequestInvalidError', 'Unexpected PDU type 161 (GetNextRequest)'))).to.deep.equal({ kind: 'unexpected', detail: 'Unexpected PDU type 161 (GetNextRequest)' });
    const processing = err('ProcessingError', 'Failure to process incoming message', { error: new Error('bad tag \x1b[31m\n') });
    expect(classifyReceiveError(processing)).to.deep.equal({ kind: 'malformed', detail: 'bad tag \\x1b[31m\\n' });
  });
  it('a net-snmp call that throws after it called back: the caller hears the answer once, the throw is reported, and the session stays for the next request', async () => {
    // a session that answers at once and then throws, as a net-snmp bug past its callback would
    let sessions = 0;
    let closed = 0;
    let gets = 0;
    const fake = {
      on(): void {},
      close(): void {
        closed++;
      },
      get(oids: string[], cb: (err: Error | null, varbinds?: snmp.Varbind[]) => void): void {
        gets++;
        cb(null, oids.map((oid) => ({ oid, type: snmp.ObjectType.Integer, value: 7 })));
        if (gets === 1) throw new Error('thrown past the callback');
      },
    };
    // the module object itself (the compiled `import *` gives getters only), whose createSession the link calls
    const netSnmp = require('net-snmp') as { createSession: (...args: unknown[]) => unknown }; // eslint-disable-line @typescript-eslint/no-var-requires
    const createSession = netSnmp.createSession;
    netSnmp.createSession = () => {
      sessions++;
      return fake;
    };
    const reported: string[] = [];
    try {
      const t = { host: '127.0.0.1', port: 16999 };
      const c = new SnmpClient([t], { version: 'v2c' }, { community: 'public' }, { onError: (e) => reported.push(e.message) });
      const heard: unknown[] = [];
      c.getThen(t, ['1.3.6.1.2.1.1.3.0'], (err, varbinds) => heard.push(err ?? varbinds?.[0].value));
      expect(heard).to.deep.equal([7]);
      expect(reported).to.deep.equal(['thrown past the callback']);
      expect(closed).to.equal(0);
      expect((await c.get(t, ['1.3.6.1.2.1.1.3.0']))[0].value).to.equal(7);
      expect(sessions).to.equal(1);
      await c.close();
    } finally {
      netSnmp.createSession = createSession;
    }
  });
});
