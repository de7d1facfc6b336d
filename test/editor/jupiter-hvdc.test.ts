/**
 * The jupiter-hvdc dialog in real Chromium against a real Node-RED: pick the link, add a dry contact, discover a
 * simulated unit through the link's walk endpoint and pick an OID into the vendor mapping, deploy, and check what
 * the runtime received; then check the deployed node reads the unit with the picked OID.
 */
import { expect } from 'chai';
import { EditorSession, startEditor } from './harness';
import { JupiterUnit, SIM_OIDS } from '../../nodes/jupiter-hvdc/simulator';
import { freeTcpPort, freeUdpPort, waitFor } from '../helpers/ports';
import { ModbusTcpServer } from '../../lib/modbus/server';

describe('jupiter-hvdc dialog (real editor)', function () {
  this.timeout(180_000);
  let editor: EditorSession;
  let unit: JupiterUnit;
  let module: ModbusTcpServer;

  before(async function () {
    unit = new JupiterUnit({ port: await freeUdpPort() });
    await unit.start();
    module = new ModbusTcpServer({ port: await freeTcpPort(), bank: { readBits: (_fc, _address, count) => new Array<boolean>(count).fill(false) } });
    const modbusPort = await module.listen();
    editor = await startEditor({
      flows: [
        { id: 'jh-ed-tab', type: 'tab', label: 'Jupiter editor test' },
        {
          id: 'jh-ed-link', type: 'snmp-endpoint', name: 'sim unit', targets: `127.0.0.1:${unit.port}`, port: 161, version: 'v2c', user: '',
          securityLevel: 'authPriv', authProtocol: 'sha256', privProtocol: 'aes', context: '', timeout: 1000, retries: 0, maxVarbinds: 24,
          maxRepetitions: 20, concurrency: 8, trapEnabled: false, trapPort: 1162, trapAddress: '127.0.0.1',
        },
        {
          id: 'jh-ed-modbus', type: 'modbus-endpoint', name: 'DI module', host: '127.0.0.1', port: modbusPort, unitId: 1, timeout: 1000,
          functionCode: '3', addressing: '0', reconnectMs: 1000, reconnectMaxMs: 30000, maxGap: -1,
        },
      ],
    });
  });
  after(async () => {
    await editor?.stop();
    await unit?.stop();
    await module?.close();
  });

  it('fills the dialog, discovers and picks an OID, deploys, and the runtime has it', async () => {
    const page = editor.page;
    const id = await editor.addNode('jupiter-hvdc');
    await editor.openNode(id);
    await page.fill('#node-input-name', 'racks');
    await page.selectOption('#node-input-link', 'jh-ed-link');
    await page.fill('#node-input-interval', '2');
    // one NC contact on a contacts-only unit
    await page.click('.node-input-contacts-container-row .red-ui-editableList-addButton');
    const contact = page.locator('#node-input-contacts-list .red-ui-editableList-item-content').first();
    await contact.locator('.dcp-jh-cunit').fill('rack-9');
    await waitFor(() => contact.locator('.dcp-jh-calarm option').count(), 10_000, 'alarm catalogue in the contact row');
    await contact.locator('.dcp-jh-calarm').selectOption('load_breaker_open');
    await contact.locator('.dcp-jh-ctype').selectOption('NC');
    // a second contact polled from the Modbus DI module
    await page.selectOption('#node-input-modbusLink', 'jh-ed-modbus');
    await page.click('.node-input-contacts-container-row .red-ui-editableList-addButton');
    const polled = page.locator('#node-input-contacts-list .red-ui-editableList-item-content').nth(1);
    await polled.locator('.dcp-jh-cunit').fill('rack-9');
    await polled.locator('.dcp-jh-csource').selectOption('modbus');
    await polled.locator('.dcp-jh-caddress').fill('4');
    await polled.locator('.dcp-jh-cbit').fill('2');
    // the vendor mapping is loaded from the runtime's default profile, without OIDs
    await waitFor(() => page.locator('#node-input-vendor-list .dcp-jh-key').count(), 10_000, 'vendor rows');
    // discover through the link's walk endpoint and pick the simulator's LOAD voltage OID for loadVoltage
    await page.fill('#node-input-discover-target', `127.0.0.1:${unit.port}`);
    await page.fill('#node-input-discover-base', '1.3.6.1.4.1.32473');
    await page.click('#node-input-discover');
    const row = page.locator(`.dcp-jh-walkrow[data-oid="${SIM_OIDS.loadVoltage}"]`);
    await row.waitFor({ timeout: 20_000 });
    await row.locator('.dcp-jh-pick').selectOption('loadVoltage');
    const loadRow = page.locator('#node-input-vendor-list [data-key="loadVoltage"]');
    expect(await loadRow.locator('.dcp-jh-oid').inputValue()).to.equal(SIM_OIDS.loadVoltage);
    await loadRow.locator('.dcp-jh-scale').fill('0.1');
    await editor.done();
    try {
      await editor.deploy();
    } catch (err) {
      await editor.screenshot('jupiter-hvdc-deploy');
      throw err;
    }

    const flows = await editor.runtimeFlows();
    const n = flows.find((f) => f.id === id);
    expect(n).to.include({ name: 'racks', link: 'jh-ed-link', interval: '2' });
    expect(n?.modbusLink).to.equal('jh-ed-modbus');
    expect(n?.contacts).to.deep.equal([
      { n: 1, label: '', unit: 'rack-9', alarm: 'load_breaker_open', type: 'NC', closedLevel: 1, debounceMs: 25, source: 'message' },
      { n: 2, label: '', unit: 'rack-9', alarm: 'ac_breaker_open', type: 'NC', closedLevel: 1, debounceMs: 25, source: 'modbus', modbus: { fc: 2, address: 4, bit: 2 } },
    ]);
    await waitFor(() => module.requestCount > 0, 20_000, 'the deployed node to poll the DI module');
    const profile = JSON.parse(String(n?.profile)) as { vendor: Array<{ key: string; oid: string; scale: number }> };
    expect(profile.vendor.find((r) => r.key === 'loadVoltage')).to.include({ oid: SIM_OIDS.loadVoltage, scale: 0.1 });
    expect(profile.vendor.filter((r) => r.oid !== '').map((r) => r.key)).to.deep.equal(['loadVoltage']);
    // the deployed node polls the unit: its status turns green with 1/1 units
    await waitFor(
      () => page.locator(`g.red-ui-flow-node-group[id="${id}"] .red-ui-flow-node-status-label`).textContent().then((t) => (t ?? '').includes('1/1')),
      30_000,
      'status 1/1 units',
    );
    expect(editor.errors()).to.deep.equal([]);
  });
});
