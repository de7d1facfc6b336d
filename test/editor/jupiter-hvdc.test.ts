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
        // saved by an older version: unit rows carry addresses, one of them no longer on the link; a dozen contacts
        {
          id: 'jh-ed-old', type: 'jupiter-hvdc', z: 'jh-ed-tab', name: 'older flow', link: 'jh-ed-link', interval: 3600, staleTime: 0,
          topicPrefix: 'jupiter', lang: 'en-US', output: 'unit', profile: '', modbusLink: '', contactInterval: 1, x: 600, y: 400, wires: [[]],
          units: [
            { name: 'rack-a', target: `127.0.0.1:${unit.port}` },
            { name: 'rack-gone', target: '10.9.9.9' },
          ],
          contacts: Array.from({ length: 12 }, (_, i) => ({
            n: i + 1, label: i % 2 === 0 ? 'AC breaker (NC)' : 'Load breaker (NC)', unit: 'rack-4', alarm: i % 2 === 0 ? 'ac_breaker_open' : 'load_breaker_open',
            type: 'NC', closedLevel: 1, debounceMs: 25, source: 'message',
          })),
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
    // NO/NC and how the input is read fold out under the row
    expect(await contact.locator('.dcp-jh-ctype').isVisible()).to.equal(false);
    await contact.locator('.dcp-jh-cmore').click();
    await contact.locator('.dcp-jh-ctype').selectOption('NC');
    // a second contact polled from the Modbus DI module
    await page.selectOption('#node-input-modbusLink', 'jh-ed-modbus');
    await page.click('.node-input-contacts-container-row .red-ui-editableList-addButton');
    const polled = page.locator('#node-input-contacts-list .red-ui-editableList-item-content').nth(1);
    await polled.locator('.dcp-jh-cunit').fill('rack-9');
    await polled.locator('.dcp-jh-cmore').click();
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
  /** what a person sees of the unit and contact lists in the open dialog */
  interface ListView {
    height: number;
    scrollTop: number;
    firstRowVisible: boolean;
    rowsHeight: number;
  }
  async function listViews(): Promise<{ units: ListView; contacts: ListView; contactLine: { height: number; tops: number[]; clippedLabels: string[] }; trayWidth: number }> {
    const page = editor.page;
    // the alarm catalogue fills the contact rows once it has loaded
    await waitFor(() => page.locator('#node-input-contacts-list .dcp-jh-calarm option').count(), 10_000, 'contact rows');
    await page.waitForLoadState('networkidle');
    await page.waitForTimeout(300);
    return page.evaluate(() => {
      const view = (sel: string): ListView => {
        const ol = document.querySelector(sel) as HTMLElement;
        const box = ol.closest('.red-ui-editableList-container') as HTMLElement;
        const b = box.getBoundingClientRect();
        const rows = Array.from(ol.children) as HTMLElement[];
        const f = rows[0].getBoundingClientRect();
        return {
          height: b.height,
          scrollTop: box.scrollTop,
          firstRowVisible: f.top >= b.top - 1 && f.bottom <= b.bottom + 1,
          rowsHeight: rows.reduce((sum, r) => sum + r.getBoundingClientRect().height, 0),
        };
      };
      const line = document.querySelector('#node-input-contacts-list .dcp-jh-line') as HTMLElement;
      const fields = (Array.from(line.children) as HTMLElement[]).filter((e) => e.offsetParent !== null);
      const labels = Array.from(document.querySelectorAll('#node-input-contacts-list input.dcp-jh-clabel')) as HTMLInputElement[];
      const trays = document.querySelectorAll('.red-ui-tray');
      return {
        units: view('#node-input-units-list'),
        contacts: view('#node-input-contacts-list'),
        contactLine: {
          height: line.getBoundingClientRect().height,
          tops: fields.map((e) => Math.round(e.getBoundingClientRect().top)),
          clippedLabels: labels.filter((i) => i.scrollWidth > i.clientWidth).map((i) => i.value),
        },
        trayWidth: (trays[trays.length - 1] as HTMLElement).getBoundingClientRect().width,
      };
    });
  }

  it('sizes the unit and contact lists with the tray, opens them at their first row, and keeps a contact on one line', async () => {
    const page = editor.page;
    await page.setViewportSize({ width: 1600, height: 800 });
    await editor.openNode('jh-ed-old');
    const short = await listViews();
    await page.click('#node-dialog-cancel');
    await page.waitForSelector('#node-dialog-ok', { state: 'detached' });
    await page.setViewportSize({ width: 1600, height: 1400 });
    await editor.openNode('jh-ed-old');
    const tall = await listViews();
    // the tray opens at its default width (nothing resized it in this browser)
    expect(tall.trayWidth, 'default tray width').to.be.within(500, 700);
    for (const [name, v] of [['units', tall.units], ['contacts', tall.contacts]] as const) {
      expect(v.scrollTop, `${name} list opens at its top`).to.equal(0);
      expect(v.firstRowVisible, `${name} list shows its first row whole`).to.equal(true);
    }
    for (const [name, v] of [['units', short.units], ['contacts', short.contacts]] as const) {
      expect(v.scrollTop, `${name} list opens at its top in a short window`).to.equal(0);
      expect(v.firstRowVisible, `${name} first row in a short window`).to.equal(true);
    }
    // the two unit rows fit whole; the dozen contacts take more room in a taller window
    expect(tall.units.height).to.be.at.least(tall.units.rowsHeight - 1);
    expect(tall.contacts.height, 'contact list in a tall window').to.be.greaterThan(78 * 4);
    expect(tall.contacts.height, 'the list grows with the tray').to.be.greaterThan(short.contacts.height + 150);
    expect(short.contacts.height).to.be.greaterThan(78);
    // no., label, unit, alarm and NO/NC side by side on one line, labels readable in full
    expect(tall.contactLine.height, 'contact row height').to.be.below(40);
    expect(new Set(tall.contactLine.tops).size, `fields on one line: tops ${tall.contactLine.tops.join(',')}`).to.equal(1);
    expect(tall.contactLine.tops.length).to.equal(5);
    expect(tall.contactLine.clippedLabels).to.deep.equal([]);
    await page.click('#node-dialog-cancel');
    await page.waitForSelector('#node-dialog-ok', { state: 'detached' });
  });

  it('turns unit rows with addresses into positions on the link, and warns about a name the link has no unit for', async () => {
    const page = editor.page;
    await editor.openNode('jh-ed-old');
    await waitFor(() => page.locator('#node-input-units-warning').isVisible(), 10_000, 'the warning under the unit list');
    const rows = page.locator('#node-input-units-list .red-ui-editableList-item-content');
    expect(await rows.nth(0).locator('.dcp-jh-upos').inputValue()).to.equal('1');
    expect(await rows.nth(0).locator('.dcp-jh-upos option:checked').textContent()).to.equal(`1 · 127.0.0.1:${unit.port}`);
    expect(await rows.nth(0).locator('.dcp-jh-uwarn').isVisible()).to.equal(false);
    expect(await rows.nth(1).locator('.dcp-jh-uwarn').isVisible()).to.equal(true);
    expect(await page.locator('#node-input-units-warning').textContent()).to.equal('rack-gone: not on the link (units on the link: 1); these names are not used.');
    // the user points the row at the link's only unit instead: the warning goes
    await rows.nth(1).locator('.dcp-jh-uname').fill('rack-b');
    await rows.nth(1).locator('.dcp-jh-upos').selectOption('1');
    expect(await page.locator('#node-input-units-warning').textContent()).to.match(/^rack-b: that unit or name is already used above/);
    await page.locator('#node-input-units-list > li').nth(1).locator('.red-ui-editableList-item-remove').click();
    await waitFor(async () => (await rows.count()) === 1, 5_000, 'row removed');
    await waitFor(async () => !(await page.locator('#node-input-units-warning').isVisible()), 5_000, 'warning gone');
    await editor.done();
    await editor.deploy();
    const n = (await editor.runtimeFlows()).find((f) => f.id === 'jh-ed-old');
    expect(n?.units).to.deep.equal([{ name: 'rack-a', position: 1 }]);
    expect(editor.errors()).to.deep.equal([]);
  });
});
