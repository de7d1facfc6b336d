import { expect } from 'chai';
import { EditorSession, startEditor } from './harness';

describe('editor harness (real Node-RED + headless Chromium)', function () {
  this.timeout(120_000);
  let editor: EditorSession;

  before(async function () {
    editor = await startEditor();
  });
  after(async () => {
    await editor?.stop();
  });

  it('drags a node from the palette, edits it in its dialog, deploys, and the runtime has the edit', async () => {
    const id = await editor.addNode('inject');
    await editor.openNode(id);
    await editor.page.fill('#node-input-name', 'editor harness check');
    await editor.done();
    await editor.deploy();
    const flows = await editor.runtimeFlows();
    const inject = flows.find((n) => n.id === id);
    expect(inject?.name).to.equal('editor harness check');
    expect(editor.errors()).to.deep.equal([]);
  });
});
