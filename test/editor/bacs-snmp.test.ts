/** The bacs dialog with module data over SNMP: pick the snmp-endpoint, deploy, the node reads the SNMP tables. */
import { expect } from 'chai';
import { EditorSession, startEditor } from './harness';
import { BacsSimulator } from '../../nodes/bacs/simulator';
import { BacsSnmpAgent } from '../../nodes/bacs/simulator-snmp';
import { freeUdpPort, waitFor } from '../helpers/ports';

describe('bacs dialog: module data over SNMP (real editor)', function () {
  this.timeout(180_000);
  let editor: EditorSession;
  let sim: BacsSimulator;
  let agent: BacsSnmpAgent;

  before(async function () {
    sim = new BacsSimulator({ strings: 2, modules: 40, port: 0, tickMs: 0 });
    await sim.start();
    const snmpPort = await freeUdpPort();
    agent = new BacsSnmpAgent(sim, { port: snmpPort });
    await agent.start();
    editor = await startEditor({
      flows: [
        { id: 'bacs-ed-tab', type: 'tab', label: 'BACS SNMP editor test' },
        { id: 'bacs-ed-mb', type: 'modbus-endpoint', name: 'sim modbus', host: '127.0.0.1', port: sim.port, unitId: 1, timeout: 1500, functionCode: '3', addressing: '0', reconnectMs: 1000, reconnectMaxMs: 30000, maxGap: -1 },
        {
          id: 'bacs-ed-snmp', type: 'snmp-endpoint', name: 'sim snmp', targets: `127.0.0.1:${snmpPort}`, port: 161, version: 'v2c', user: '', securityLevel: 'noAuthNoPriv',
          authProtocol: 'sha256', privProtocol: 'aes', context: '', timeout: 2000, retries: 1, maxVarbinds: 24, maxRepetitions: 20, concurrency: 8,
          trapEnabled: false, trapPort: 1162, trapAddress: '127.0.0.1',
        },
      ],
    });
  });
  after(async () => {
    await editor?.stop();
    await agent?.stop();
    await sim?.stop();
  });

  it('selects SNMP module data and its link, deploys, and the node reads 40 modules', async () => {
    const page = editor.page;
    const id = await editor.addNode('bacs');
    await editor.openNode(id);
    await page.selectOption('#node-input-endpoint', 'bacs-ed-mb');
    await page.selectOption('#node-input-moduleSource', 'snmp');
    expect(await page.locator('.bacs-template').isVisible()).to.equal(false);
    expect(await page.locator('.bacs-snmp').isVisible()).to.equal(true);
    await page.selectOption('#node-input-snmpEndpoint', 'bacs-ed-snmp');
    await page.fill('#node-input-interval', '2');
    await editor.done();
    await editor.deploy();
    const flows = await editor.runtimeFlows();
    expect(flows.find((f) => f.id === id)).to.include({ moduleSource: 'snmp', snmpEndpoint: 'bacs-ed-snmp', endpoint: 'bacs-ed-mb' });
    await waitFor(
      () => page.locator(`g.red-ui-flow-node-group[id="${id}"] .red-ui-flow-node-status-label`).textContent().then((t) => (t ?? '').includes('40')),
      30_000,
      'bacs status showing 40 modules',
    );
    expect(editor.errors()).to.deep.equal([]);
  });
});
