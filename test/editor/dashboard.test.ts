/**
 * The battery-room example on its FlowFuse Dashboard 2.0 page, against the demo's simulators: cell bars for the
 * JK packs, the BACS module table, the Jupiter unit tiles and the alarm list render live values, and the
 * Acknowledge button changes an alarm's state. Screenshots go to docs/screenshots when DCPOWER_SCREENSHOTS=1.
 */
import { expect } from 'chai';
import * as fs from 'fs';
import * as path from 'path';
import { waitFor } from '../helpers/ports';
import { chromiumAvailable, EditorSession, FlowNode, startDemoSimulators, startEditor } from './harness';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const EXAMPLE = path.join(ROOT, 'examples', 'battery-room-dashboard.json');
const SHOTS = process.env.DCPOWER_SCREENSHOTS === '1' ? path.join(ROOT, 'docs', 'screenshots') : undefined;

describe('battery-room dashboard example: live values and acknowledge in Dashboard 2.0', function () {
  this.timeout(180_000);
  let editor: EditorSession;
  let stopSimulators: (() => void) | undefined;

  before(async function () {
    if (!chromiumAvailable()) throw new Error('Debian chromium is not installed (.ci/run installs it)');
    stopSimulators = await startDemoSimulators();
    const flows = JSON.parse(fs.readFileSync(EXAMPLE, 'utf8')) as FlowNode[];
    editor = await startEditor({ flows });
  });
  after(async () => {
    await editor?.stop();
    stopSimulators?.();
  });

  it('renders cell bars, module table, unit tiles and alarm list, and acknowledges an alarm', async () => {
    // the harness's one page (its browser context allows no second): the dashboard first, the editor after
    const page = editor.page;
    await page.setViewportSize({ width: 1600, height: 1400 });
    await page.goto(editor.baseUrl + '/dashboard');

    // cell bars: both packs with their cell voltages in a plausible LiFePO4 range
    await page.waitForSelector('.room-pack[data-pack] .room-bar', { timeout: 60_000 });
    await waitFor(async () => (await page.locator('.room-pack').count()) >= 2, 60_000, 'both JK packs on the page');
    const cells = (await page.locator('.room-cell-v').allTextContents()).map(Number);
    expect(cells.length).to.be.at.least(8);
    for (const v of cells) expect(v).to.be.within(2.0, 4.0);

    // BACS module table: rows with module voltages
    const moduleRows = page.locator('.v-card', { hasText: 'BACS modules' }).locator('tbody tr');
    await waitFor(async () => (await moduleRows.count()) >= 5, 60_000, 'BACS module rows');
    const bacsText = await page.locator('.v-card', { hasText: 'BACS modules' }).innerText();
    expect(bacsText).to.match(/voltage/i);
    expect(bacsText).to.match(/\d+\.\d+/);

    // Jupiter unit tiles: one per unit, each with numbers
    await waitFor(async () => (await page.locator('.room-tile').count()) >= 3, 60_000, 'three Jupiter unit tiles');
    const tile = await page.locator('.room-tile').first().innerText();
    expect(tile).to.match(/\d/);

    // alarm list: the Jupiter example's toggled contact raises ac_breaker_open within ~20 s
    const alarmCard = page.locator('.v-card', { hasText: 'Acknowledge all' });
    await waitFor(async () => /ac_breaker_open/i.test(await alarmCard.innerText()), 90_000, 'an alarm in the alarm list');
    if (SHOTS) {
      fs.mkdirSync(SHOTS, { recursive: true });
      await page.screenshot({ path: path.join(SHOTS, 'battery-room-dashboard.png'), fullPage: true });
    }
    const stateOf = async (): Promise<string> => {
      const row = alarmCard.locator('tbody tr', { hasText: /ac_breaker_open/i }).first();
      return row.innerText();
    };
    // wait for an unacknowledged state (active or returned), then press Acknowledge all
    await waitFor(async () => /unack/i.test(await stateOf()), 60_000, 'the alarm unacknowledged');
    const before = await stateOf();
    await page.getByRole('button', { name: /Acknowledge all/i }).click();
    await waitFor(async () => {
      const now = await stateOf().catch(() => '');
      return now !== before && !/unack/i.test(now);
    }, 30_000, 'the alarm state to change after Acknowledge').catch(async (err) => {
      throw new Error(`${String(err)}; row before: ${before}; now: ${await stateOf().catch(() => '(gone)')}`);
    });
    if (SHOTS) {
      await page.setViewportSize({ width: 1600, height: 1000 });
      await page.goto(editor.baseUrl + '/');
      await page.waitForSelector('.red-ui-palette-node', { timeout: 60_000 });
      await page.screenshot({ path: path.join(SHOTS, 'battery-room-editor.png') });
    }
    const errors = editor.errors();
    expect(errors, errors.join('\n')).to.deep.equal([]);
  });
});
