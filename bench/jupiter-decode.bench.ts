/**
 * jupiter-hvdc node-side work per unit-poll: decoding the layered profile (identity, UPS-MIB, vendor rows, alarm
 * table, ENTITY-SENSOR walk) and merging the unit's alarms, on a real answer captured from the simulator.
 * Reference: the CPU budget per unit-poll that the scale target allows in total (1,000 units every 10 s
 * within 5 % of one core = 0.5 ms per unit-poll, transport included). The node's share should stay small.
 */
import { JupiterUnit, SIM_OIDS } from '../nodes/jupiter-hvdc/simulator';
import { SnmpClient } from '../lib/snmp/session';
import { answerFrom, decodeUnit, defaultProfile, pollPlan, type JupiterProfile } from '../nodes/jupiter-hvdc/profile';
import { UnitAlarms } from '../nodes/jupiter-hvdc/unit';
import type { SnmpVarbind } from '../lib/snmp/types';
import { report } from './report';
import * as dgram from 'dgram';

function freeUdpPort(): Promise<number> {
  return new Promise((resolve) => {
    const s = dgram.createSocket('udp4');
    s.bind(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function main(): Promise<void> {
  const unit = new JupiterUnit({ port: await freeUdpPort(), scenario: 'rectifier-fault' });
  await unit.start();
  const target = { host: '127.0.0.1', port: unit.port };
  const client = new SnmpClient([target], { version: 'v2c', timeout: 2000, retries: 1 }, { community: 'public' });
  const profile: JupiterProfile = defaultProfile();
  profile.vendor = profile.vendor.map((r) =>
    r.key === 'loadVoltage' ? { ...r, oid: SIM_OIDS.loadVoltage, scale: 0.1 } : r.key === 'rectifierStates' ? { ...r, oid: `${SIM_OIDS.rectifierEntry}.2` } : r,
  );
  const plan = pollPlan(profile, { entitySensor: true });
  const gets = await client.get(target, plan.gets);
  const walks: [string, SnmpVarbind[]][] = [];
  for (const base of plan.walks) walks.push([base, await client.walk(target, base)]);
  await client.close();
  await unit.stop();

  const alarms = new UnitAlarms('en-US');
  const iterations = 20_000;
  // warm up, then measure CPU time (user + system) of decode + alarm merge
  for (let i = 0; i < 2000; i++) alarms.applySnmp(decodeUnit(profile, answerFrom(gets, walks)), true, i);
  const before = process.cpuUsage();
  for (let i = 0; i < iterations; i++) {
    alarms.applySnmp(decodeUnit(profile, answerFrom(gets, walks)), true, i);
    alarms.takeEvents();
  }
  const used = process.cpuUsage(before);
  const perPollMs = (used.user + used.system) / 1000 / iterations;
  const budgetMs = (10_000 * 0.05) / 1000; // 5 % of one core over 10 s, shared by 1,000 unit-polls
  process.stdout.write(`varbinds per unit-poll: ${gets.length} from GET, ${walks.reduce((n, [, w]) => n + w.length, 0)} from ${walks.length} walks\n`);
  report([
    {
      name: 'jupiter-hvdc decode + alarm merge per unit-poll (CPU)',
      measured: perPollMs,
      reference: budgetMs,
      referenceName: 'whole budget per unit-poll (1,000 units / 10 s / 5 % core)',
      unit: 'ms',
      higherIsBetter: false,
      target: { ratio: 0.2, comparison: '<=' },
    },
  ]);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
