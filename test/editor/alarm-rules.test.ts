import { expect } from 'chai';
import { EditorSession, startEditor } from './harness';
import { jupiterPreset } from '../../nodes/jupiter-hvdc/alarms';

describe('alarm-rules edit dialog (real Node-RED + headless Chromium)', function () {
  this.timeout(180_000);
  let editor: EditorSession;

  before(async function () {
    editor = await startEditor();
  });
  after(async () => {
    await editor?.stop();
  });

  it('fills the table from a preset, validates a wrong-side clear value, exports JSON, deploys what it shows', async () => {
    const page = editor.page;
    const id = await editor.addNode('alarm-rules');
    await editor.openNode(id);
    await page.fill('#node-input-name', 'editor alarms');

    // the preset picker is fed by GET /dcpower/alarm-rules/presets
    await page.waitForSelector('#node-input-preset option[value="jupiter-hvdc"]', { state: 'attached' });
    await page.selectOption('#node-input-preset', 'jupiter-hvdc');
    await page.click('#dcpower-ar-preset-replace');
    const rows = page.locator('#node-input-rules-container > li');
    expect(await rows.count()).to.equal(jupiterPreset.rules.length);
    // a threshold the manual does not state is marked as the preset's choice
    const presetChosen = jupiterPreset.rules.filter((r) => r.thresholdSource === 'preset').length;
    expect(presetChosen).to.be.greaterThan(0);
    expect(await page.locator('.dcpower-ar-preset-threshold').count()).to.equal(presetChosen);
    expect(await page.locator('.dcpower-ar-preset-threshold').first().isVisible()).to.equal(true);

    // add a rule of our own with its clear value on the wrong side: the row says so
    await page.click('.red-ui-editableList-addButton');
    const last = rows.last();
    await last.locator('.dcpower-ar-id').fill('cell_ov');
    await last.locator('.dcpower-ar-name').fill('Cell over-voltage');
    await last.locator('.dcpower-ar-path').fill('payload.cellVoltages[*]');
    await last.locator('.dcpower-ar-alarmValue').fill('3.65');
    await last.locator('.dcpower-ar-clearValue').fill('3.70');
    await last.locator('.dcpower-ar-clearValue').press('Tab');
    const problems = last.locator('.dcpower-ar-problems');
    expect(await problems.isVisible()).to.equal(true);
    expect(await problems.textContent()).to.match(/wrong side/);
    await last.locator('.dcpower-ar-clearValue').fill('3.55');
    await last.locator('.dcpower-ar-clearValue').press('Tab');
    expect(await problems.isVisible()).to.equal(false);

    // export shows the table as JSON
    await page.click('#dcpower-ar-export');
    const exported = JSON.parse(await page.inputValue('#dcpower-ar-json')) as Array<{ id: string }>;
    expect(exported.map((r) => r.id)).to.include('cell_ov');
    expect(exported).to.have.length(jupiterPreset.rules.length + 1);

    await editor.done();
    await editor.deploy();
    const flows = await editor.runtimeFlows();
    const node = flows.find((n) => n.id === id) as { name?: string; rules?: Array<Record<string, unknown>> } | undefined;
    expect(node?.name).to.equal('editor alarms');
    expect(node?.rules).to.have.length(jupiterPreset.rules.length + 1);
    const own = node?.rules?.find((r) => r.id === 'cell_ov');
    expect(own).to.include({ type: 'high', path: 'payload.cellVoltages[*]', alarmValue: 3.65, clearValue: 3.55, requireAck: true });
    const fromPreset = node?.rules?.find((r) => r.thresholdSource === 'preset');
    expect(fromPreset, 'preset fields the table does not edit are kept').to.have.property('note');
    expect(editor.errors()).to.deep.equal([]);
  });

  it('imports rules from JSON text', async () => {
    const page = editor.page;
    const id = await editor.addNode('alarm-rules');
    await editor.openNode(id);
    const rules = [{ id: 'temp', name: 'Temperature', severity: 'minor', type: 'high', path: 'payload.temperature', alarmValue: 45, deadband: 2, requireAck: true, latch: false }];
    await page.fill('#dcpower-ar-json', JSON.stringify(rules));
    await page.click('#dcpower-ar-import');
    expect(await page.locator('#node-input-rules-container > li').count()).to.equal(1);
    await editor.done();
    await editor.deploy();
    const flows = await editor.runtimeFlows();
    const node = flows.find((n) => n.id === id) as { rules?: Array<Record<string, unknown>> } | undefined;
    expect(node?.rules?.[0]).to.include({ id: 'temp', alarmValue: 45, deadband: 2 });
  });
});
