/**
 * The bacs node's SNMP route for module data in a real runtime: Modbus for the status and strings, the BACS
 * SNMP module and string tables for the modules. The SNMP link here is a small stand-in config node that
 * implements the SnmpLink contract (lib/snmp/types.ts) over net-snmp, so the wiring is tested against the
 * contract itself.
 */
import { expect } from 'chai';
import * as snmp from 'net-snmp';
import type { NodeAPI, Node, NodeDef } from 'node-red';
import type { SnmpEndpoint, SnmpVarbind } from '../../lib/snmp/types';
import { offerLink } from '../../lib/device/links';
import { BacsSimulator } from '../../nodes/bacs/simulator';
import { BacsSnmpAgent } from '../../nodes/bacs/simulator-snmp';
import { freeUdpPort } from '../helpers/ports';
import { helper, startServer, stopServer, TestNode } from './red-helper';

/* eslint-disable @typescript-eslint/no-var-requires */
const endpointNode = require('../../nodes/links/modbus-endpoint');
const bacsNode = require('../../nodes/bacs/bacs');
const snmpEndpointNode = require('../../nodes/links/snmp-endpoint');

const registered: string[] = [];

function standInSnmpLink(RED: NodeAPI): void {
  function TestSnmpLink(this: Node & SnmpEndpoint, config: NodeDef & { port: string }): void {
    RED.nodes.createNode(this, config);
    const port = Number(config.port);
    const session = snmp.createSession('127.0.0.1', 'public', { port, version: snmp.Version2c, timeout: 1000, retries: 0 });
    this.targets = () => [{ host: '127.0.0.1', port }];
    this.get = () => Promise.reject(new Error('not used'));
    this.walk = (_target, base) =>
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
      });
    this.onTrap = () => () => undefined;
    this.register = (n) => registered.push(`+${n.id}`);
    this.deregister = (n) => registered.push(`-${n.id}`);
    this.targetName = (t) => `${t.host}:${t.port}`;
    Object.assign(this, { defaultPort: 161, configError: undefined });
    // device nodes get their link by kind (lib/device/links.ts): the stand-in offers itself as an snmp-endpoint
    offerLink(this, 'snmp-endpoint', this);
    this.on('close', (done: () => void) => {
      session.close();
      done();
    });
  }
  RED.nodes.registerType('test-snmp-link', TestSnmpLink);
}

interface Msg {
  payload: { [key: string]: unknown };
  quality: string;
  error?: { message: string };
}

describe('bacs node: module data over SNMP (Node-RED runtime, real UDP)', function () {
  this.timeout(30000);
  let sim: BacsSimulator;
  let agent: BacsSnmpAgent;
  let snmpPort: number;

  before(startServer);
  after(stopServer);
  beforeEach(async () => {
    sim = new BacsSimulator({ strings: 2, modules: 40, port: 0, tickMs: 0, seed: 9 });
    sim.setModule(6, { temperature: 45 });
    await sim.start();
    snmpPort = await freeUdpPort();
    agent = new BacsSnmpAgent(sim, { port: snmpPort });
    await agent.start();
    registered.length = 0;
  });
  afterEach(async () => {
    await helper.unload();
    await agent.stop();
    await sim.stop();
  });

  function flow(): object[] {
    return [
      { id: 'tab', type: 'tab', label: 'bacs snmp' },
      { id: 'ep', type: 'modbus-endpoint', host: '127.0.0.1', port: String(sim.port), unitId: '1', timeout: '1000' },
      { id: 'sl', type: 'test-snmp-link', port: String(snmpPort) },
      { id: 'b1', type: 'bacs', z: 'tab', endpoint: 'ep', snmpEndpoint: 'sl', snmpTarget: '', moduleSource: 'snmp', interval: '60', staleTime: '0', wires: [['out']] },
      { id: 'out', type: 'helper', z: 'tab' },
    ];
  }

  it('reads status and strings over Modbus and the modules from the SNMP tables', async () => {
    await helper.load([endpointNode, bacsNode, standInSnmpLink], flow());
    const out = helper.getNode('out') as TestNode;
    const msg = await new Promise<Msg>((resolve) => out.once('input', resolve));
    expect(msg.quality).to.equal('good');
    expect(msg.payload.moduleSource).to.equal('snmp');
    expect(msg.payload.status).to.include('running');
    const modules = msg.payload.modules as Array<{ id: number; string: number; position: number; voltage: number; temperature: number; state: string }>;
    expect(modules).to.have.length(40);
    expect(modules[5]).to.include({ id: 6, string: 1, position: 6, temperature: 45, state: 'temperatureWarning' });
    expect(modules[30].voltage).to.be.closeTo(sim.modules[30].voltage, 0.006);
    const strings = msg.payload.strings as Array<{ index: number; voltage: number; current: number }>;
    // total voltage with the SNMP table's 0.01 V resolution; current from Modbus (SNMP column .2 is unverified)
    expect(strings[0].voltage).to.be.closeTo(sim.strings[0].voltage, 0.006);
    expect(Number.isInteger(strings[0].current)).to.equal(true);
    expect(registered).to.deep.equal(['+b1']);
  });

  it('drops a module of 6553.5 V from the SNMP table and sends bad_data naming it', async () => {
    sim.setModule(8, { voltage: 6553.5 });
    agent.refresh();
    await helper.load([endpointNode, bacsNode, standInSnmpLink], flow());
    const out = helper.getNode('out') as TestNode;
    const msg = await new Promise<Msg & { badKeys?: string[] }>((resolve) => out.once('input', resolve));
    expect(msg.quality).to.equal('bad_data');
    expect(msg.badKeys).to.include('modules[7].voltage');
    const modules = msg.payload.modules as Array<{ id: number; voltage?: number; temperature?: number }>;
    expect(modules[7]).to.include({ id: 8 });
    expect(modules[7]).to.not.have.property('voltage');
    expect(modules[7].temperature).to.be.a('number');
    expect(modules.filter((m) => m.voltage !== undefined)).to.have.length(39);
  });

  it('through the package\'s snmp-endpoint link (GETBULK walks, one session per target)', async () => {
    await helper.load([endpointNode, bacsNode, snmpEndpointNode], [
      { id: 'tab', type: 'tab', label: 'bacs snmp-endpoint' },
      { id: 'ep', type: 'modbus-endpoint', host: '127.0.0.1', port: String(sim.port), unitId: '1', timeout: '1000' },
      {
        id: 'sl', type: 'snmp-endpoint', name: 'bacs snmp', targets: `127.0.0.1:${snmpPort}`, port: 161, version: 'v2c', user: '', securityLevel: 'noAuthNoPriv',
        authProtocol: 'sha256', privProtocol: 'aes', context: '', timeout: 2000, retries: 1, maxVarbinds: 24, maxRepetitions: 20, concurrency: 8,
        trapEnabled: false, trapPort: 1162, trapAddress: '127.0.0.1',
      },
      { id: 'b1', type: 'bacs', z: 'tab', endpoint: 'ep', snmpEndpoint: 'sl', snmpTarget: '', moduleSource: 'snmp', interval: '60', staleTime: '0', wires: [['out']] },
      { id: 'out', type: 'helper', z: 'tab' },
    ], { sl: { community: 'public' } });
    const out = helper.getNode('out') as TestNode;
    const msg = await new Promise<Msg>((resolve) => out.once('input', resolve));
    expect(msg.quality, JSON.stringify(msg.error)).to.equal('good');
    expect(msg.payload.moduleSource).to.equal('snmp');
    const modules = msg.payload.modules as Array<{ id: number; temperature: number; state: string; voltage: number }>;
    expect(modules).to.have.length(40);
    expect(modules[5]).to.include({ id: 6, temperature: 45, state: 'temperatureWarning' });
    expect(modules[39].voltage).to.be.closeTo(sim.modules[39].voltage, 0.006);
  });

  it('without the SNMP agent: status and strings still go out, quality comm_error, and it recovers', async () => {
    await agent.stop();
    await helper.load([endpointNode, bacsNode, standInSnmpLink], flow());
    const out = helper.getNode('out') as TestNode;
    const b1 = helper.getNode('b1') as TestNode;
    const failed = await new Promise<Msg>((resolve) => out.once('input', resolve));
    expect(failed.quality).to.equal('comm_error');
    expect(failed.payload).to.not.have.property('modules');
    expect(failed.payload.strings as unknown[]).to.have.length(2);
    expect(b1.error.called).to.equal(true);
    agent = new BacsSnmpAgent(sim, { port: snmpPort });
    await agent.start();
    const next = new Promise<Msg>((resolve) => out.once('input', resolve));
    b1.receive({});
    const good = await next;
    expect(good.quality).to.equal('good');
    expect(good.payload.modules as unknown[]).to.have.length(40);
    await helper.unload();
    expect(registered).to.deep.equal(['+b1', '-b1']);
  });
});
