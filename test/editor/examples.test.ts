/**
 * Every example as a user meets it: Import → Examples → @dcpower/node-red-nodes in the real editor, into a new
 * flow, deployed against the simulators the demo starts, with no error in the runtime log.
 */
import { expect } from 'chai';
import * as path from 'path';
import { exampleFiles } from '../../bin/demo';
import { waitFor } from '../helpers/ports';
import { EditorSession, startDemoSimulators, startEditor } from './harness';

const MODULE = '@dcpower/node-red-nodes';

describe('examples: Import → Examples in the editor, deploy, no runtime error', function () {
  this.timeout(300_000);
  let editor: EditorSession;
  let stopSimulators: (() => void) | undefined;

  before(async function () {
    stopSimulators = await startDemoSimulators();
    editor = await startEditor();
  });
  after(async () => {
    await editor?.stop();
    stopSimulators?.();
  });

  for (const file of exampleFiles()) {
    const name = path.basename(file, '.json');
    it(`imports and deploys ${name}`, async () => {
      const page = editor.page;
      // start from an empty workspace so no example depends on what another one left behind
      await fetch(`${editor.baseUrl}/flows`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'Node-RED-API-Version': 'v1', 'Node-RED-Deployment-Type': 'full' },
        body: JSON.stringify({ flows: [{ id: 'examples-test-tab', type: 'tab', label: 'examples test' }] }),
      });
      await page.reload();
      await page.waitForSelector('.red-ui-palette-node');

      await page.click('#red-ui-header-button-sidemenu');
      await page.click('#menu-item-import');
      await page.click('a[href="#red-ui-clipboard-dialog-import-tab-examples"]');
      const examplesTab = page.locator('#red-ui-clipboard-dialog-import-tab-examples');
      await examplesTab.locator('.red-ui-treeList-label', { hasText: MODULE }).first().click();
      await examplesTab.locator('.red-ui-treeList-label', { hasText: name }).first().click();
      await page.click('#red-ui-clipboard-dialog-import-opt-new');
      const errorsBefore = editor.errors().length;
      await page.click('#red-ui-clipboard-dialog-ok');
      await page.waitForSelector('#red-ui-clipboard-dialog-ok', { state: 'hidden' });

      const expected = (require(file) as Array<{ id: string; type: string }>).filter((n) => n.type !== 'tab').length;
      const workspaceCount = (): Promise<number> =>
        page.evaluate(() => {
          type Each = (cb: (n: unknown) => void) => void;
          const red = (window as unknown as { RED: { nodes: { eachNode: Each; eachConfig: Each; eachGroup: Each; eachJunction: Each } } }).RED;
          let count = 0;
          red.nodes.eachNode(() => count++);
          red.nodes.eachConfig(() => count++);
          // the examples' groups and junctions are in the file too
          red.nodes.eachGroup(() => count++);
          red.nodes.eachJunction(() => count++);
          return count;
        });
      // the dialog closes before the editor has added every node: wait for them
      await waitFor(async () => (await workspaceCount()) >= expected, 20_000, `${expected} nodes in the workspace after the import`);

      await editor.deploy();
      const flows = await editor.runtimeFlows();
      expect(flows.filter((n) => n.type !== 'tab').length).to.be.at.least(expected);
      // let the example run against the simulators for a few polls
      await new Promise((r) => setTimeout(r, 5000));
      const errors = editor.errors().slice(errorsBefore);
      expect(errors, errors.join('\n')).to.deep.equal([]);
      const crashes = editor.log.filter((l) => /Uncaught|unhandled/i.test(l));
      expect(crashes, crashes.join('\n')).to.deep.equal([]);
    });
  }
});
