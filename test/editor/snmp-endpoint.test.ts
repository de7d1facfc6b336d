/**
 * The snmp-endpoint dialog in real Chromium: opened from a jupiter-hvdc node's link field, filled for SNMPv3
 * authPriv, deployed; the runtime has the settings, the flow has no secrets, and the deployed link walks a
 * simulator with the keys typed in the dialog.
 */
import { expect } from 'chai';
import { EditorSession, startEditor } from './harness';
import { JupiterUnit } from '../../nodes/jupiter-hvdc/simulator';
import { freeUdpPort } from '../helpers/ports';

const USER = { name: 'editoruser', level: 'authPriv' as const, authProtocol: 'sha384' as const, authKey: 'editor-auth-key', privProtocol: 'aes' as const, privKey: 'editor-priv-key' };

describe('snmp-endpoint dialog (editor, headless Chromium)', function () {
  this.timeout(120_000);
  let editor: EditorSession;
  let unit: JupiterUnit;
  let port: number;

  before(async function () {
    port = await freeUdpPort();
    unit = new JupiterUnit({ port, users: [USER] });
    await unit.start();
    editor = await startEditor();
  });
  after(async () => {
    await editor?.stop();
    await unit?.stop();
  });

  it('adds a v3 authPriv link from the jupiter-hvdc dialog, deploys it, and the runtime walks with its keys', async () => {
    const page = editor.page;
    const id = await editor.addNode('jupiter-hvdc');
    await editor.openNode(id);
    await page.click('#node-input-btn-link-add');
    await page.waitForSelector('#node-config-input-targets', { state: 'visible' });
    await page.fill('#node-config-input-name', 'editor link');
    await page.fill('#node-config-input-targets', `127.0.0.1:${port}`);
    await page.selectOption('#node-config-input-version', 'v3');
    await page.waitForSelector('#node-config-input-user', { state: 'visible' });
    await page.fill('#node-config-input-user', USER.name);
    await page.selectOption('#node-config-input-securityLevel', 'authPriv');
    await page.selectOption('#node-config-input-authProtocol', 'sha384');
    await page.fill('#node-config-input-authKey', USER.authKey);
    await page.selectOption('#node-config-input-privProtocol', 'aes');
    await page.fill('#node-config-input-privKey', USER.privKey);
    // the community row is for v1/v2c only
    expect(await page.isVisible('#node-config-input-community')).to.equal(false);
    await editor.done(true);
    await editor.done();
    await editor.deploy();

    const flows = await editor.runtimeFlows();
    const link = flows.find((n) => n.type === 'snmp-endpoint');
    expect(link).to.include({ name: 'editor link', targets: `127.0.0.1:${port}`, version: 'v3', user: USER.name, securityLevel: 'authPriv', authProtocol: 'sha384', privProtocol: 'aes' });
    expect(JSON.stringify(flows)).to.not.contain(USER.authKey);
    expect(JSON.stringify(flows)).to.not.contain(USER.privKey);
    expect(flows.find((n) => n.id === id)?.link).to.equal(link?.id);

    const res = await fetch(editor.baseUrl + '/dcpower/snmp/walk', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: link?.id, target: `127.0.0.1:${port}`, root: '1.3.6.1.2.1.1' }),
    });
    expect(res.status).to.equal(200);
    const body = (await res.json()) as { rows: Array<{ oid: string; value: unknown }> };
    expect(body.rows.find((r) => r.oid === '1.3.6.1.2.1.1.5.0')?.value).to.equal('jupiter-1');
    expect(editor.errors()).to.deep.equal([]);
  });
});
