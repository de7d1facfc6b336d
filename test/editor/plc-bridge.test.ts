import { expect } from 'chai';
import * as fs from 'fs';
import { EditorSession, startEditor } from './harness';
import { freeTcpPort, waitFor } from '../helpers/ports';
import { readRegisters } from '../helpers/modbus-raw';

/** the add button of the editableList that holds `inner` (Node-RED wraps the list in two divs) */
function addButtonOf(inner: string): string {
  return `${inner} >> xpath=ancestor::div[contains(concat(" ", normalize-space(@class), " "), " red-ui-editableList ")][1]/*[contains(@class, "red-ui-editableList-addButton")]`;
}

describe('dcpower-plc-bridge dialog (real editor)', function () {
  this.timeout(180_000);
  let editor: EditorSession;

  before(async function () {
    editor = await startEditor();
  });
  after(async () => {
    await editor?.stop();
  });

  it('lists a device with keys and an alarm, shows the generated map, downloads it as CSV, and deploys a serving bridge', async () => {
    const page = editor.page;
    const port = await freeTcpPort();
    const id = await editor.addNode('dcpower-plc-bridge');
    await editor.openNode(id);
    await page.fill('#node-input-name', 'plc test');
    await page.fill('#node-input-port', String(port));
    await page.check('#node-input-allowAck');
    expect([await page.inputValue('#node-input-idleTimeout'), await page.inputValue('#node-input-requestTimeout')]).to.deep.equal(['120', '5']);
    await page.fill('#node-input-idleTimeout', '300');
    await page.click(addButtonOf('#node-input-devices-container'));
    await page.fill('.plc-bridge-topic', 'bms/pack9');
    await page.selectOption('.plc-bridge-kind', 'jk-bms');
    await page.fill('.plc-bridge-stale', '20');
    await page.click(addButtonOf('.plc-bridge-keys'));
    await page.selectOption('.plc-bridge-keys li:nth-child(1) .plc-bridge-key-name', 'voltage');
    await page.click(addButtonOf('.plc-bridge-keys'));
    await page.selectOption('.plc-bridge-keys li:nth-child(2) .plc-bridge-key-name', 'cellVoltages');
    await page.fill('.plc-bridge-keys li:nth-child(2) .plc-bridge-key-count', '4');
    await page.click(addButtonOf('.plc-bridge-alarms'));
    await page.fill('.plc-bridge-alarm-id', 'cellHigh');

    // the table comes from the same generator as the runtime, through the admin endpoint
    await page.click('#plc-bridge-refresh');
    await waitFor(async () => (await page.locator('.plc-bridge-registers td', { hasText: 'cellVoltages[3]' }).count()) > 0, 20_000, 'map table');
    const rows = await page.locator('.plc-bridge-registers tr').allInnerTexts();
    expect(rows.some((r) => /^210\s+300211\s+uint16\s+×100\s+V\s+1\s+bms\/pack9\s+voltage/.test(r)), rows.join('\n')).to.equal(true);
    expect(await page.locator('.plc-bridge-bits td', { hasText: 'cellHigh' }).count()).to.be.greaterThan(0);
    expect(await page.locator('.plc-bridge-slot').innerText()).to.contain('1');

    await editor.screenshot('plc-bridge-dialog');
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#plc-bridge-csv')]);
    const file = await download.path();
    const csv = fs.readFileSync(file, 'utf8');
    expect(csv).to.contain('IR/HR,210,300211/400211,1,uint16,,100,V,1,bms/pack9,voltage,,voltage');
    expect(csv).to.contain('IR/HR,214,300215/400215,1,uint16,,1000,V,1,bms/pack9,cellVoltages,3,cellVoltages [3]');
    expect(download.suggestedFilename()).to.match(/\.csv$/);

    await editor.done();
    await editor.deploy();
    const flows = await editor.runtimeFlows();
    const node = flows.find((n) => n.id === id) as { port: unknown; allowAck: unknown; idleTimeout: unknown; requestTimeout: unknown; devices: Array<Record<string, unknown>> } | undefined;
    expect(Number(node?.port)).to.equal(port);
    expect(node?.allowAck).to.equal(true);
    expect([Number(node?.idleTimeout), Number(node?.requestTimeout)]).to.deep.equal([300, 5]);
    expect(node?.devices).to.deep.equal([
      {
        topic: 'bms/pack9',
        kind: 'jk-bms',
        slot: 1,
        staleTime: 20,
        keys: [
          { key: 'voltage', offset: 10 },
          { key: 'cellVoltages', offset: 11, count: 4 },
        ],
        alarms: [{ id: 'cellHigh', bit: 10 }],
      },
    ]);
    await waitFor(async () => (await readRegisters(port, 1, 4, 0, 2)).join() === '1,200', 20_000, 'deployed bridge serving');
    const res = await fetch(`${editor.baseUrl}/dcpower/plc-bridge/${id}/map`);
    const map = (await res.json()) as { registers: Array<{ address: number; key: string }> };
    expect(map.registers.find((r) => r.address === 211)?.key).to.equal('cellVoltages');
    expect(editor.errors()).to.deep.equal([]);
  });

  it('keeps the saved slots and offsets when the dialog is reopened and a device is added', async () => {
    const page = editor.page;
    const flows = await editor.runtimeFlows();
    const id = flows.find((n) => n.type === 'dcpower-plc-bridge')?.id as string;
    const before = (flows.find((n) => n.id === id) as unknown as { devices: unknown[] }).devices;
    await editor.openNode(id);
    await waitFor(async () => (await page.locator('.plc-bridge-registers td', { hasText: 'cellVoltages[3]' }).count()) > 0, 20_000, 'map of the saved node');
    await page.click(addButtonOf('#node-input-devices-container'));
    const second = page.locator('#node-input-devices-container > li').nth(1);
    await second.locator('.plc-bridge-topic').fill('bms/pack10');
    await second.locator(addButtonOf('.plc-bridge-keys')).click();
    await second.locator('.plc-bridge-key-name').selectOption('soc');
    await waitFor(async () => (await second.locator('.plc-bridge-slot').innerText()).includes('2'), 20_000, 'slot 2 for the new device');
    // the map is regenerated after each edit: wait for the one that has the new device's soc (it holds the offset to save)
    const socRow = page.locator('.plc-bridge-registers tr').filter({ has: page.locator('td', { hasText: 'bms/pack10' }) }).filter({ has: page.locator('td', { hasText: /^soc$/ }) });
    await waitFor(async () => (await socRow.count()) > 0, 20_000, 'map with the new device and its soc');
    await editor.done();
    await editor.deploy();
    const after = (await editor.runtimeFlows()).find((n) => n.id === id) as unknown as { devices: Array<Record<string, unknown>> };
    expect(after.devices[0]).to.deep.equal(before[0]);
    expect(after.devices[1]).to.deep.include({ topic: 'bms/pack10', slot: 2, keys: [{ key: 'soc', offset: 10 }] });
    expect(editor.errors()).to.deep.equal([]);
  });

  it('shows the BACS status flags as named bits in the editor language, exports them in the CSV and saves their first bit', async () => {
    const page = editor.page;
    const port = await freeTcpPort();
    const id = await editor.addNode('dcpower-plc-bridge');
    await editor.openNode(id);
    await page.fill('#node-input-port', String(port));
    await page.click(addButtonOf('#node-input-devices-container'));
    await page.fill('.plc-bridge-topic', 'bacs/room');
    await page.selectOption('.plc-bridge-kind', 'bacs');
    await page.click(addButtonOf('.plc-bridge-keys'));
    await page.selectOption('.plc-bridge-keys li:nth-child(1) .plc-bridge-key-name', 'statusWord');
    await page.click(addButtonOf('.plc-bridge-keys'));
    await page.selectOption('.plc-bridge-keys li:nth-child(2) .plc-bridge-key-name', 'statusFlags');
    // a bit-field key has nothing to scale or format
    expect(await page.locator('.plc-bridge-keys li:nth-child(2) .plc-bridge-key-scale').isVisible()).to.equal(false);
    expect(await page.locator('.plc-bridge-keys li:nth-child(2) .plc-bridge-key-name option[value="statusFlags"]').innerText()).to.match(/statusFlags \(15 bits\)/);
    await page.click('#plc-bridge-refresh');
    await waitFor(async () => (await page.locator('.plc-bridge-bits td', { hasText: 'statusFlags.running' }).count()) > 0, 20_000, 'status bits in the map');
    const rows = await page.locator('.plc-bridge-bits tr').allInnerTexts();
    // names come from the bacs node's catalogue (flags.<id>)
    expect(rows.some((r) => /^110\s+100111\s+1\s+bacs\/room\s+statusFlags\.communicationLost\s+web manager lost its internal communication/.test(r)), rows.join('\n')).to.equal(true);
    expect(rows.some((r) => /^111\s+100112\s+1\s+bacs\/room\s+statusFlags\.running\s+system running$/.test(r)), rows.join('\n')).to.equal(true);
    expect(rows.some((r) => /^117\s+100118\s+1\s+bacs\/room\s+statusFlags\.floatCharging\s+float charge$/.test(r)), rows.join('\n')).to.equal(true);
    await editor.screenshot('plc-bridge-dialog-status-bits');
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#plc-bridge-csv')]);
    const csv = fs.readFileSync(await download.path(), 'utf8');
    expect(csv).to.contain('DI/coil,111,100112/000112,1,bit,,,,1,bacs/room,statusFlags.running,,statusWord bit 0 (0x0001) BACS_STATE_RUNNING: system running');
    await editor.done();
    await editor.deploy();
    const node = (await editor.runtimeFlows()).find((n) => n.id === id) as unknown as { devices: Array<Record<string, unknown>> };
    expect(node.devices[0]).to.deep.include({ topic: 'bacs/room', kind: 'bacs', slot: 1, keys: [{ key: 'statusWord', offset: 10 }, { key: 'statusFlags', bit: 10 }] });
    await waitFor(async () => (await readRegisters(port, 1, 4, 0, 2)).join() === '1,200', 20_000, 'deployed bridge serving');
    expect(editor.errors()).to.deep.equal([]);
  });
});

describe('dcpower-plc-bridge dialog in zh-CN (real editor)', function () {
  this.timeout(180_000);
  let editor: EditorSession;

  before(async function () {
    // a flow with the bridge already in it: BACS status flags, unnamed 1002 bits, and JK alarm bits
    editor = await startEditor({
      locale: 'zh-CN',
      flows: [
        { id: 'plc-zh-tab', type: 'tab', label: 'zh' },
        {
          id: 'plc-zh-bridge',
          z: 'plc-zh-tab',
          type: 'dcpower-plc-bridge',
          name: '',
          host: '127.0.0.1',
          port: await freeTcpPort(),
          unitId: 1,
          blockSize: 200,
          wordOrder: 'high-first',
          allowAck: false,
          devices: [
            { topic: 'bacs/room', kind: 'bacs', slot: 1, keys: [{ key: 'statusFlags', bit: 10 }, { key: 'alarmFlagBits', bit: 25 }], alarms: [] },
            { topic: 'bms/pack1', kind: 'jk-bms', slot: 2, keys: [{ key: 'alarmFlags', bit: 10 }], alarms: [] },
          ],
          x: 200,
          y: 100,
          wires: [[]],
        },
      ],
    });
  });
  after(async () => {
    await editor?.stop();
  });

  it('names the bits from the bacs catalogue, the JK alarm table and its own unnamed-bit text, in Chinese', async () => {
    const page = editor.page;
    await editor.openNode('plc-zh-bridge');
    await waitFor(async () => (await page.locator('.plc-bridge-bits td', { hasText: 'alarmFlags.cell-over-voltage' }).count()) > 0, 20_000, 'bits of the saved node');
    /** the name column of the bit row with this key */
    const nameOf = (key: string) =>
      page.locator('.plc-bridge-bits tr').filter({ has: page.locator('td', { hasText: new RegExp(`^${key.replace(/\./g, '\\.')}$`) }) }).locator('td').last().innerText();
    expect(await nameOf('statusFlags.communicationLost')).to.equal('网络管理器内部通信中断（状态 0x0000）');
    expect(await nameOf('statusFlags.running')).to.equal('系统运行');
    expect(await nameOf('alarmFlagBits.bit3')).to.equal('alarmFlagsWord 的第 3 位：未命名（无公开位表）');
    expect(await nameOf('alarmFlags.cell-over-voltage')).to.equal('单体过压');
    await editor.screenshot('plc-bridge-dialog-status-bits-zh-CN');
    expect(editor.errors()).to.deep.equal([]);
  });
});
