/**
 * Pictures of every example flow on the editor canvas, for the README and for judging by eye what
 * test/unit/examples-layout.test.ts checks by geometry. Runs only with DCPOWER_SCREENSHOTS=1 and writes
 * docs/screenshots/example-<name>.png (palette and sidebar hidden, the window as large as the flow).
 */
import { expect } from 'chai';
import * as fs from 'fs';
import * as path from 'path';
import { combineExamples, exampleFiles } from '../../bin/demo';
import { lockDemoPorts } from '../helpers/demo-ports';
import { EditorSession, startEditor } from './harness';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const SHOTS = path.join(ROOT, 'docs', 'screenshots');

interface Extent {
  right: number;
  bottom: number;
}

describe('screenshots of the example flows on the canvas', function () {
  this.timeout(300_000);
  let editor: EditorSession;
  let releasePorts: (() => void) | undefined;

  before(async function () {
    if (process.env.DCPOWER_SCREENSHOTS !== '1') this.skip();
    // the examples' PLC bridge and trap receiver listen on the demo's fixed ports
    releasePorts = await lockDemoPorts();
    editor = await startEditor({ flows: combineExamples(exampleFiles()) });
  });
  after(async () => {
    await editor?.stop();
    releasePorts?.();
  });

  it('writes one picture per example', async () => {
    const page = editor.page;
    fs.mkdirSync(SHOTS, { recursive: true });
    for (const file of exampleFiles()) {
      const name = path.basename(file, '.json');
      const tab = (require(file) as Array<{ id: string; type: string }>).find((n) => n.type === 'tab');
      expect(tab, `${name}: a tab of its own`).to.not.equal(undefined);
      const extent = await page.evaluate((tabId): Extent => {
        type Shape = { x: number; y: number; w?: number; h?: number };
        const red = (window as unknown as {
          RED: {
            workspaces: { show(id: string): void };
            menu: { setSelected(id: string, on: boolean): void };
            nodes: { filterNodes(f: { z: string }): Shape[]; groups(z: string): Shape[] };
          };
        }).RED;
        red.workspaces.show(tabId);
        red.menu.setSelected('menu-item-palette', false);
        red.menu.setSelected('menu-item-sidebar', false);
        let right = 0;
        let bottom = 0;
        for (const n of red.nodes.filterNodes({ z: tabId })) {
          right = Math.max(right, n.x + (n.w ?? 100) / 2);
          bottom = Math.max(bottom, n.y + (n.h ?? 30) / 2);
        }
        for (const g of red.nodes.groups(tabId)) {
          right = Math.max(right, g.x + (g.w ?? 0));
          bottom = Math.max(bottom, g.y + (g.h ?? 0));
        }
        return { right, bottom };
      }, tab?.id ?? '');
      // the header, the tab bar and the canvas's own margin around the flow
      await page.setViewportSize({ width: Math.max(800, Math.ceil(extent.right) + 60), height: Math.ceil(extent.bottom) + 160 });
      await page.evaluate(() => {
        const chart = document.getElementById('red-ui-workspace-chart');
        if (chart) chart.scrollTo(0, 0);
      });
      await page.waitForTimeout(1000);
      await page.screenshot({ path: path.join(SHOTS, `example-${name}.png`) });
    }
  });
});
