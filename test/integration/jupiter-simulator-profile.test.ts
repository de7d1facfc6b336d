/**
 * The simulator builds its OID table from profile.ts: every OID the default profile (and the simulator's profile)
 * polls is served, and what the node decodes from it is the simulator's state.
 */
import { expect } from 'chai';
import { SnmpClient } from '../../lib/snmp/session';
import { answerFrom, decodeUnit, defaultProfile, pollPlan, type JupiterProfile } from '../../nodes/jupiter-hvdc/profile';
import { JupiterUnit, simulatorProfile, type Scenario, type UnitState } from '../../nodes/jupiter-hvdc/simulator';
import type { SnmpTarget, SnmpVarbind } from '../../lib/snmp/types';
import { freeUdpPort } from '../helpers/ports';

/** reading key -> [expected value from the unit state, decoding tolerance (half the row's resolution)] */
function expectedReadings(s: UnitState): { [key: string]: [number, number] } {
  const cellAvgMv = (s.batteryVoltage / 62) * 1000;
  return {
    batteryVoltage: [s.batteryVoltage, 0.05],
    batteryCurrent: [s.batteryCurrent, 0.05],
    batteryTemperature: [s.batteryTemperature, 0.5],
    soc: [s.soc, 0.5],
    estimatedMinutesRemaining: [s.soc * 0.45, 0.5],
    secondsOnBattery: [s.secondsOnBattery, 0],
    acInputVoltage: [s.acInputVoltage, 0.05],
    acInputFrequency: [s.acFrequency, 0.05],
    dcOutputVoltage: [s.dcOutputVoltage, 0.5],
    outputLoad: [(s.outputPower / 12000) * 100, 0.5],
    loadVoltage: [s.loadVoltage, 0.05],
    cellMin: [(cellAvgMv - s.cellHalfSpreadMv) / 1000, 0.0005],
    cellMax: [(cellAvgMv + s.cellHalfSpreadMv) / 1000, 0.0005],
    cellDelta: [(2 * s.cellHalfSpreadMv) / 1000, 0.0005],
    alarmsPresent: [s.alarms.length, 0],
  };
}

describe('Jupiter simulator serves the profile it is built from (integration)', function () {
  this.timeout(30000);
  let unit: JupiterUnit | undefined;
  let client: SnmpClient | undefined;
  afterEach(async () => {
    await client?.close();
    await unit?.stop();
    client = undefined;
    unit = undefined;
  });

  async function poll(profile: JupiterProfile, target: SnmpTarget): Promise<{ gets: SnmpVarbind[]; walks: Array<[string, SnmpVarbind[]]> }> {
    const plan = pollPlan(profile, { entitySensor: true });
    if (!client) throw new Error('no client');
    const c = client;
    const gets = await c.get(target, plan.gets);
    const walks: Array<[string, SnmpVarbind[]]> = [];
    for (const base of plan.walks) walks.push([base, await c.walk(target, base)]);
    return { gets, walks };
  }

  const scenarios: Scenario[] = ['normal', 'ac-failure', 'discharge-to-low-voltage', 'rectifier-fault', 'ac-breaker-open', 'bms-fault', 'overcharge', 'cell-imbalance'];
  for (const scenario of scenarios) {
    it(`${scenario}: every OID the default and the simulator profile poll is served and decodes to the unit state`, async () => {
      const port = await freeUdpPort();
      unit = new JupiterUnit({ port, scenario, speed: 0 }); // speed 0: the state stays at t = 0 while we poll
      await unit.start();
      const target: SnmpTarget = { host: '127.0.0.1', port };
      client = new SnmpClient([target], { version: 'v2c', timeout: 2000, retries: 1 }, { community: 'public' });
      const state = unit.state();

      const byDefault = await poll(defaultProfile(), target);
      const missing = byDefault.gets.filter((vb) => vb.error || vb.value === null).map((vb) => vb.oid);
      expect(missing, 'default-profile GETs the simulator does not serve').to.deep.equal([]);
      for (const [base, rows] of byDefault.walks) {
        if (base.endsWith('33.1.6.2.1.2') && state.alarms.length === 0) continue; // an empty alarm table is right
        expect(rows, `walk ${base}`).to.not.be.empty;
      }

      const profile = simulatorProfile();
      const answer = await poll(profile, target);
      expect(answer.gets.filter((vb) => vb.error || vb.value === null).map((vb) => vb.oid)).to.deep.equal([]);
      const decoded = decodeUnit(profile, answerFrom(answer.gets, answer.walks));
      expect(decoded.unsupported, 'unsupported').to.deep.equal([]);
      expect(decoded.invalid, 'invalid').to.deep.equal([]);
      for (const [key, [want, tolerance]] of Object.entries(expectedReadings(state))) {
        expect(decoded.values[key], key).to.be.a('number');
        expect(decoded.values[key] as number, key).to.be.closeTo(want, tolerance + 1e-9);
      }
      const cells = decoded.values.cellVoltages as number[];
      expect(cells).to.have.length(62);
      expect(Math.min(...cells)).to.be.at.least((decoded.values.cellMin as number) - 1e-9);
      expect(Math.max(...cells)).to.be.at.most((decoded.values.cellMax as number) + 1e-9);
      expect(decoded.values.batteryStatus).to.equal(['', 'unknown', 'normal', 'low', 'depleted'][state.batteryStatus]);
      expect(decoded.values.outputSource).to.equal(state.onBattery ? 'battery' : 'normal');
      expect(decoded.values.onBattery).to.equal(state.onBattery);
      expect(decoded.upsAlarms.map((a) => a.n).sort((a, b) => a - b)).to.deep.equal([...state.alarms].sort((a, b) => a - b));
      expect(decoded.flagAlarms).to.deep.equal({
        ac_breaker_open: state.acBreakerClosed === 0,
        load_breaker_open: state.loadBreakerClosed === 0,
        battery_bms_fault: state.bmsOk === 0,
        battery_not_connected: state.batteryNotConnected === 1,
        overcharge_protection: state.overchargeProtection === 1,
      });
    });
  }
});
