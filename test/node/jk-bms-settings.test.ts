/**
 * What the jk-bms node sends beyond the live reading (issue 15): `payload.settings` with `readAt`, `payload.switches`,
 * `balancerEnabled` for JK02 and Modbus packs, the device info in `msg.device`, each setting's unit in `msg.units`
 * (`settings.cellOvp`), for NW, JK02, JK Modbus and in listen-only mode; read at start and after a write.
 */
import { expect } from 'chai';
import { JkSimulator } from '../../nodes/jk-bms/simulator';
import { waitFor as until } from '../helpers/ports';
import { helper, startServer, stopServer, TestNode } from './red-helper';

import { collect, JK_NODES, jkFlow } from '../helpers/jk-flow';

describe('jk-bms node: settings, switches and device info (simulator over TCP)', function () {
  this.timeout(30000);
  let sim: JkSimulator;
  let port: number;

  before(startServer);
  after(stopServer);
  afterEach(async () => {
    await helper.unload();
    await sim.stop();
  });

  const start = async (options: ConstructorParameters<typeof JkSimulator>[0]): Promise<void> => {
    sim = new JkSimulator({ port: 0, pacing: false, turnaroundMs: 1, ...options });
    port = (await sim.start()).port as number;
  };

  for (const protocol of ['jk02', 'jk-modbus']) {
    it(`${protocol}: the first message already carries the settings, the switches and the device info`, async () => {
      await start({ packs: [1] });
      await helper.load(JK_NODES, jkFlow(port, { protocol }));
      const got = collect(helper.getNode('out') as TestNode);
      await until(() => got.find((m) => m.quality === 'good'));
      const first = got[0];
      const settings = first.payload.settings as Record<string, number>;
      expect(settings.readAt).to.be.a('number').within(Date.now() - 10_000, Date.now());
      expect(settings.cellOvp).to.equal(3.65);
      expect(settings.cellUvp).to.equal(2.7);
      expect(settings.maxChargeCurrent).to.be.a('number');
      expect(settings).to.not.have.any.keys('chargeSwitch', 'controlBits', 'deviceAddress');
      expect(first.units['settings.cellOvp']).to.equal('V');
      expect(first.units['settings.maxChargeCurrent']).to.equal('A');
      expect(first.units['settings.chargeOtp']).to.equal('°C');
      expect(first.payload.switches).to.include({ charge: true, discharge: true, balancer: true });
      expect(first.payload.balancerEnabled).to.equal(true);
      expect(first.device).to.include({ name: 'pack1' });
      expect(first.device.deviceName).to.be.a('string').and.not.equal('');
      expect(first.device.manufacturingDate).to.be.a('string');
      expect(first.device.uptime).to.be.a('number');
      expect(first.device.powerOnCount).to.be.a('number');
      expect(JSON.stringify(first)).to.not.match(/passcode|password/i);
    });
  }

  it('jk-nw: settings, switches, the NW extras and the protocol version', async () => {
    await start({ packs: [1] });
    await helper.load(JK_NODES, jkFlow(port, { protocol: 'jk-nw' }));
    const got = collect(helper.getNode('out') as TestNode);
    const msg = await until(() => got.find((m) => m.quality === 'good'));
    expect(msg.payload.settings).to.include({ cellOvp: 3.65 });
    expect(msg.payload.settings?.readAt).to.be.a('number');
    expect(msg.payload.switches).to.include({ charge: true, discharge: true, balancer: true });
    expect(msg.payload.remainingCapacity).to.be.a('number');
    expect(msg.payload.runtime).to.be.a('number');
    expect(msg.device.protocolVersion).to.equal(1);
    expect(msg.units['settings.cellOvp']).to.equal('V');
  });

  it('settings interval 0 reads them only at start; a write reads them again', async () => {
    await start({ packs: [1] });
    await helper.load(JK_NODES, jkFlow(port, { protocol: 'jk-modbus', settingsInterval: 0, allowWrites: true, allowBalancer: true }));
    const got = collect(helper.getNode('out') as TestNode);
    await until(() => (got.filter((m) => m.quality === 'good').length >= 3 ? true : undefined));
    const readAt = got[0].payload.settings?.readAt;
    expect(got[2].payload.settings?.readAt).to.equal(readAt);
    (helper.getNode('jk1') as TestNode).receive({ command: { set: 'balancerEnabled', value: false } });
    const after = await until(() => got.find((m) => m.payload.switches?.balancer === false));
    expect(after.payload.settings?.readAt).to.be.greaterThan(readAt as number);
    expect(after.payload.balancerEnabled).to.equal(false);
  });

  it("listen-only mode sends the settings the master's traffic carries (the simulated master polls status and settings)", async () => {
    await start({ packs: [0, 1], masterCycleMs: 300 });
    await helper.load(JK_NODES, jkFlow(port, { protocol: 'jk02-listen', addresses: '0-1' }));
    const got = collect(helper.getNode('out') as TestNode);
    const msg = await until(() => got.find((m) => m.topic === 'jk/pack1' && m.payload.settings !== undefined), 15000);
    expect(msg.payload.settings).to.include({ cellOvp: 3.65 });
    expect(msg.payload.switches).to.include({ charge: true });
  });

  it('writes an allow-listed setting, range-checked first, and reads it back', async () => {
    await start({ packs: [1] });
    await helper.load(JK_NODES, jkFlow(port, { protocol: 'jk-modbus', allowWrites: true, allowMaxChargeCurrent: true, allowBalanceStartVoltage: true }));
    const got = collect(helper.getNode('out') as TestNode);
    const caught = collect(helper.getNode('caught') as TestNode);
    await until(() => got.find((m) => m.payload.settings !== undefined));
    const jk = helper.getNode('jk1') as TestNode;
    jk.receive({ command: { set: 'maxChargeCurrent', value: 120 } });
    const reply = await until(() => got.find((m) => m.topic === 'jk/pack1/command'));
    expect(reply.payload).to.deep.equal({ set: 'maxChargeCurrent', value: 120, address: 1, confirmed: true });
    await until(() => got.find((m) => m.payload.settings?.maxChargeCurrent === 120));
    // above the 200 A the model JK_PB2A16S20P is rated for: refused before anything is sent
    jk.receive({ command: { set: 'maxChargeCurrent', value: 250 } });
    await until(() => caught.find((m) => /maxChargeCurrent 250 is outside 1–200/.test(m.error?.message ?? '')));
    // the balance start voltage must stay between cell UVP (2.7 V) and OVP (3.65 V)
    jk.receive({ command: { set: 'balanceStartVoltage', value: 3.7 } });
    await until(() => caught.find((m) => /balanceStartVoltage 3.7 would cross the pack's cellOvp/.test(m.error?.message ?? '')));
    // not ticked
    jk.receive({ command: { set: 'maxDischargeCurrent', value: 100 } });
    await until(() => caught.find((m) => /maxDischargeCurrent is not in this node's write allow-list/.test(m.error?.message ?? '')));
    jk.receive({ command: { set: 'maxChargeCurrent', value: 'lots' } });
    await until(() => caught.find((m) => /must be a number/.test(m.error?.message ?? '')));
    expect(sim.getPack(1)?.settings.maxChargeCurrent).to.equal(120);
  });

  it("writes the DZ11 balancer's cell count, trigger and max balance current", async () => {
    await start({ packs: [1] });
    await helper.load(JK_NODES, jkFlow(port, { protocol: 'jk-balancer', allowWrites: true, allowCellCount: true, allowBalanceTriggerDelta: true, allowMaxBalanceCurrent: true }));
    const got = collect(helper.getNode('out') as TestNode);
    await until(() => got.find((m) => m.payload.settings !== undefined));
    const jk = helper.getNode('jk1') as TestNode;
    for (const [set, value] of [['cellCount', 16], ['balanceTriggerDelta', 0.01], ['maxBalanceCurrent', 1.5]] as const) {
      jk.receive({ command: { set, value } });
      await until(() => got.find((m) => m.topic === 'jk/pack1/command' && (m.payload as { set?: string }).set === set));
    }
    const last = await until(() => got.find((m) => m.payload.settings?.maxBalanceCurrent === 1.5));
    expect(last.payload.settings).to.include({ cellCount: 16, balanceTriggerDelta: 0.01 });
    expect(last.device.writable).to.have.members(['cellCount', 'balanceTriggerDelta', 'maxBalanceCurrent']);
  });

  it('refuses setting writes in listen-only mode', async () => {
    await start({ packs: [0, 1], masterCycleMs: 300 });
    await helper.load(JK_NODES, jkFlow(port, { protocol: 'jk02-listen', addresses: '0-1', allowWrites: true, allowMaxChargeCurrent: true }));
    const caught = collect(helper.getNode('caught') as TestNode);
    (helper.getNode('jk1') as TestNode).receive({ command: { set: 'maxChargeCurrent', value: 100, address: 1 } });
    await until(() => caught.find((m) => /listen/.test(m.error?.message ?? '')));
  });
});
