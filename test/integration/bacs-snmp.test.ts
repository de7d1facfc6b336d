/**
 * The verified SNMP route for module data against the simulator's SNMP agent: the tables as Debian's snmpwalk
 * sees them, decoded by nodes/bacs/snmp.ts through an SnmpLink, agree with the simulated battery.
 */
import { expect } from 'chai';
import { execFile } from 'child_process';
import * as snmp from 'net-snmp';
import { promisify } from 'util';
import type { SnmpLink, SnmpTarget, SnmpVarbind } from '../../lib/snmp/types';
import { BacsSimulator } from '../../nodes/bacs/simulator';
import { BacsSnmpAgent } from '../../nodes/bacs/simulator-snmp';
import { BACS_MODULE_TABLE, readSnmpTables } from '../../nodes/bacs/snmp';
import { DEFAULT_MODULE_TEMPLATE, stringSizes } from '../../nodes/bacs/registers';
import { freeUdpPort } from '../helpers/ports';
import { promiseLink } from '../helpers/snmp-link';

const run = promisify(execFile);

/** A minimal SnmpLink over one net-snmp v2c session (the package's snmp-endpoint provides the real one). */
function netSnmpLink(port: number): SnmpLink & { close(): void } {
  const session = snmp.createSession('127.0.0.1', 'public', { port, version: snmp.Version2c, timeout: 2000, retries: 1 });
  const link = promiseLink({
    targets: () => [{ host: '127.0.0.1', port }],
    walk: (_target: SnmpTarget, base: string) =>
      new Promise((resolve, reject) => {
        const out: SnmpVarbind[] = [];
        session.subtree(
          base,
          20,
          (varbinds: snmp.Varbind[]) => {
            for (const v of varbinds) out.push({ oid: v.oid, type: Number(v.type), value: v.value as SnmpVarbind['value'] });
          },
          (err: Error | null) => (err ? reject(err) : resolve(out)),
        );
      }),
  });
  return { ...link, close: () => session.close() };
}

describe('BACS SNMP tables over real UDP (simulator agent, snmpwalk, net-snmp)', function () {
  this.timeout(30000);
  let sim: BacsSimulator;
  let agent: BacsSnmpAgent;
  let port: number;

  beforeEach(async () => {
    sim = new BacsSimulator({ strings: 2, modules: 40, port: 0, tickMs: 0, seed: 5 });
    sim.setModule(3, { temperature: -4.2 });
    await sim.start();
    port = await freeUdpPort();
    agent = new BacsSnmpAgent(sim, { port });
    await agent.start();
  });
  afterEach(async () => {
    await agent.stop();
    await sim.stop();
  });

  it('decodes what snmpwalk reads, and both match the simulated battery', async () => {
    const { stdout } = await run('snmpwalk', ['-v2c', '-c', 'public', '-On', '-t', '3', `127.0.0.1:${port}`, BACS_MODULE_TABLE], { timeout: 20000 });
    const walked = new Map<string, number>();
    for (const m of stdout.matchAll(/^\.([\d.]+) = INTEGER: (-?\d+)/gm)) walked.set(m[1], Number(m[2]));
    expect(walked.size).to.equal(40 * 6);
    const link = netSnmpLink(port);
    try {
      const tables = await readSnmpTables(link, { host: '127.0.0.1', port }, stringSizes(40, 2), DEFAULT_MODULE_TEMPLATE.stateCodes);
      expect(tables.modules).to.have.length(40);
      for (const m of tables.modules) {
        expect(m.voltage, `module ${m.id}`).to.equal((walked.get(`${BACS_MODULE_TABLE}.2.${m.id}`) as number) / 100);
        expect(m.temperature, `module ${m.id}`).to.equal((walked.get(`${BACS_MODULE_TABLE}.3.${m.id}`) as number) / 10);
        expect(m.resistance, `module ${m.id}`).to.equal((walked.get(`${BACS_MODULE_TABLE}.5.${m.id}`) as number) / 100);
        expect(m.voltage).to.be.closeTo(sim.modules[m.id - 1].voltage, 0.006);
      }
      expect(tables.modules[2].temperature).to.equal(-4.2);
      expect(tables.modules[25]).to.include({ string: 2, position: 6, state: 'ok' });
      expect(tables.strings.map((s) => s.index)).to.deep.equal([1, 2]);
      expect(tables.strings[1].voltage).to.be.closeTo(sim.strings[1].voltage, 0.006);
    } finally {
      link.close();
    }
  });

  it('follows the battery: a module in temperature warning shows its state code', async () => {
    sim.setModule(10, { temperature: 44 });
    agent.refresh();
    const link = netSnmpLink(port);
    try {
      const tables = await readSnmpTables(link, { host: '127.0.0.1', port }, [20, 20], DEFAULT_MODULE_TEMPLATE.stateCodes);
      expect(tables.modules[9]).to.include({ temperature: 44, state: 'temperatureWarning' });
    } finally {
      link.close();
    }
  });
});
