import { expect } from 'chai';
import { JkSimulator } from '../../nodes/jk-bms/simulator';
import { waitFor } from '../helpers/ports';
import { EditorSession, startEditor } from './harness';

describe('jk-bms and rs485-bus dialogs (real editor in Chromium)', function () {
  this.timeout(180_000);
  let editor: EditorSession;
  let sim: JkSimulator;
  let port: number;

  before(async function () {
    sim = new JkSimulator({ port: 0, packs: [1, 2], pacing: false, turnaroundMs: 1 });
    port = (await sim.start()).port as number;
    editor = await startEditor();
  });
  after(async () => {
    await editor?.stop();
    await sim?.stop();
  });

  it('fills both dialogs, deploys, and the runtime reads the packs with those settings', async () => {
    const { page } = editor;
    const id = await editor.addNode('jk-bms');
    await editor.openNode(id);
    await page.fill('#node-input-name', 'two packs');

    // the balancer choice carries the "unverified for the JK-B2A4S" note; the writes allow-list shows only when writes are on
    await page.selectOption('#node-input-protocol', 'jk-balancer');
    expect(await page.isVisible('#jk-bms-balancer-note')).to.equal(true);
    expect(await page.textContent('#jk-bms-balancer-note')).to.match(/B2A4S/);
    await page.selectOption('#node-input-protocol', 'jk02');
    expect(await page.isVisible('#jk-bms-balancer-note')).to.equal(false);
    expect(await page.isVisible('#node-input-allowCharge')).to.equal(false);
    await page.check('#node-input-allowWrites');
    expect(await page.isVisible('#node-input-allowCharge')).to.equal(true);
    // listen-only cannot write: the dialog says so, in words
    await page.selectOption('#node-input-protocol', 'jk02-listen');
    expect(await page.isVisible('#node-input-allowCharge')).to.equal(false);
    expect(await page.textContent('#jk-bms-write-listen')).to.match(/^\s*Listen-only transmits nothing, so it cannot write/);
    await page.selectOption('#node-input-protocol', 'jk02');
    await page.uncheck('#node-input-allowWrites');

    await page.fill('#node-input-addresses', '1-2');
    await page.fill('#node-input-interval', '1');
    await editor.screenshot('jk-bms-dialog');

    // add the bus from the jk-bms dialog, as a user does
    await page.click('#node-input-btn-bus-add');
    await page.waitForSelector('#node-config-input-link', { state: 'visible' });
    // the port list came from GET /dcpower/serial-ports
    await waitFor(async () => ((await page.textContent('#dcpower-rs485-portcount')) ?? '').length > 0, 10_000, 'the port list');
    // in words from the rs485-bus catalogue, not its key
    expect(await page.textContent('#dcpower-rs485-portcount')).to.match(/^\d+ port\(s\) found; type any path if yours is not listed$|^could not list the serial ports; type the path$/);
    expect(await page.isVisible('#node-config-input-path')).to.equal(true);
    await page.selectOption('#node-config-input-link', 'tcp');
    expect(await page.isVisible('#node-config-input-path')).to.equal(false);
    await page.fill('#node-config-input-host', '127.0.0.1');
    await page.fill('#node-config-input-port', String(port));
    await page.fill('#node-config-input-gap', '20');
    await page.fill('#node-config-input-name', 'sim gateway');
    await editor.screenshot('rs485-bus-dialog');
    await editor.done(true);
    await editor.done();
    await editor.deploy();

    const flows = await editor.runtimeFlows();
    const jk = flows.find((n) => n.id === id);
    expect(jk).to.include({ type: 'jk-bms', name: 'two packs', protocol: 'jk02', addresses: '1-2', allowWrites: false });
    const bus = flows.find((n) => n.id === jk?.bus);
    expect(bus).to.include({ type: 'rs485-bus', name: 'sim gateway', link: 'tcp', host: '127.0.0.1' });
    expect(Number(bus?.port)).to.equal(port);
    expect(Number(bus?.gap)).to.equal(20);

    // the deployed node polls the simulator: its status turns green with both packs
    await waitFor(
      () => page.evaluate((nodeId) => document.querySelector(`g.red-ui-flow-node-group[id="${nodeId}"] .red-ui-flow-node-status-label`)?.textContent ?? '', id),
      20_000,
      'a status text',
    );
    await waitFor(async () => sim.stats.requests >= 4, 20_000, 'the node to poll the simulator');
    expect(editor.errors()).to.deep.equal([]);
  });
});
