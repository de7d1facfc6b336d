/**
 * The bacs and modbus-endpoint dialogs in real Chromium against a real Node-RED: add a bacs node, create its
 * Modbus link in the config dialog, fill both forms (including the unverified module template), deploy, check
 * what the runtime received, and that the deployed node reads the simulator.
 */
import { expect } from 'chai';
import { EditorSession, startEditor } from './harness';
import { BacsSimulator } from '../../nodes/bacs/simulator';
import { waitFor } from '../helpers/ports';

describe('bacs and modbus-endpoint dialogs (real editor)', function () {
  this.timeout(180_000);
  let editor: EditorSession;
  let sim: BacsSimulator;

  before(async function () {
    sim = new BacsSimulator({ strings: 2, modules: 40, port: 0, tickMs: 0 });
    await sim.start();
    editor = await startEditor();
  });
  after(async () => {
    await editor?.stop();
    await sim?.stop();
  });

  it('fills both dialogs, deploys, the runtime has the settings and the node reads the simulator', async () => {
    const page = editor.page;
    const id = await editor.addNode('bacs');
    await editor.openNode(id);
    // the module template is shown with its "unverified" warning
    expect(await page.locator('.bacs-template .form-warning').isVisible()).to.equal(true);
    expect(await page.locator('#bacs-template-fields tbody tr').count()).to.equal(6);
    expect(await page.locator('#bacs-template-base').inputValue()).to.equal('2000');

    // a new modbus-endpoint through the config dialog
    await page.click('#node-input-btn-endpoint-add');
    await page.waitForSelector('#node-config-input-host', { state: 'visible' });
    await page.fill('#node-config-input-name', 'sim controller');
    await page.fill('#node-config-input-host', '127.0.0.1');
    await page.fill('#node-config-input-port', String(sim.port));
    await page.fill('#node-config-input-unitId', '1');
    await page.fill('#node-config-input-timeout', '1500');
    await page.selectOption('#node-config-input-functionCode', '4');
    await page.selectOption('#node-config-input-addressing', '0');
    await page.fill('#node-config-input-maxGap', '10');
    await editor.done(true);

    await page.fill('#node-input-name', 'battery room');
    await page.fill('#node-input-interval', '2');
    await page.selectOption('#node-input-output', 'perString');
    await page.check('#node-input-onlyOnChange');
    await page.fill('#node-input-deadbandVoltage', '0.02');
    // edit the template: scale of the temperature field, and record a verification note
    const temperature = page.locator('#bacs-template-fields tr[data-key="temperature"]');
    await temperature.locator('.bacs-field-scale').fill('0.1');
    await page.check('#bacs-template-verified');
    await page.fill('#bacs-template-note', 'simulator, editor test');
    await editor.done();
    await editor.deploy();

    const flows = await editor.runtimeFlows();
    const node = flows.find((f) => f.id === id);
    const endpoint = flows.find((f) => f.type === 'modbus-endpoint');
    expect(endpoint).to.include({ name: 'sim controller', host: '127.0.0.1', functionCode: '4', addressing: '0' });
    expect(Number(endpoint?.port)).to.equal(sim.port);
    expect(Number(endpoint?.maxGap)).to.equal(10);
    expect(node).to.include({ name: 'battery room', endpoint: endpoint?.id, output: 'perString', onlyOnChange: true });
    expect(Number(node?.interval)).to.equal(2);
    const template = JSON.parse(String(node?.moduleTemplate)) as { base: number; stride: number; fields: Array<{ key: string; scale: number }>; verified: boolean; verifiedNote: string };
    expect(template).to.include({ base: 2000, stride: 5, verified: true, verifiedNote: 'simulator, editor test' });
    expect(template.fields.map((f) => f.key)).to.deep.equal(['voltage', 'temperature', 'resistance', 'equalizing', 'state']);

    // the deployed node reads the simulator: green status with the module count
    await waitFor(
      () => page.locator(`g.red-ui-flow-node-group[id="${id}"] .red-ui-flow-node-status-label`).textContent().then((t) => (t ?? '').includes('40')),
      30_000,
      'bacs status showing 40 modules',
    );
    expect(editor.errors()).to.deep.equal([]);
  });
});
