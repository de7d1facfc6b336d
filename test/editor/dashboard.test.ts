/**
 * The battery-room example on its FlowFuse Dashboard 2.0 page, against the demo's simulators: a bar chart of the
 * cell voltages per JK pack (one bar per cell, replaced on each poll), the BACS module table, the Jupiter unit
 * tiles, and the alarm list whose per-row Acknowledge / Shelve 1 h / Unshelve buttons and Acknowledge all / Shelve
 * all buttons change the alarms' states. The page's screenshot goes to docs/screenshots when DCPOWER_SCREENSHOTS=1
 * (the flow's own picture: test/editor/canvas-screenshots.test.ts).
 */
import { expect } from 'chai';
import * as fs from 'fs';
import * as path from 'path';
import { Locator, Page } from 'playwright-core';
import { waitFor } from '../helpers/ports';
import { EditorSession, FlowNode, startDemoSimulators, startEditor } from './harness';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const EXAMPLE = path.join(ROOT, 'examples', 'battery-room-dashboard.json');
const SHOTS = process.env.DCPOWER_SCREENSHOTS === '1' ? path.join(ROOT, 'docs', 'screenshots') : undefined;
/** the demo's JK simulator runs with its default 16 cells per pack */
const CELLS = 16;
/** the two NC contacts the example toggles on the contacts-only unit rack-4 */
const AC_BREAKER = 'jupiter/rack-4/ac_breaker_open';
const LOAD_BREAKER = 'jupiter/rack-4/load_breaker_open';

interface ChartView {
  /** what ECharts draws: one series, [cell, volts] per bar */
  series: Array<{ name: string; type: string; data: Array<[string, number]> }>;
  /** the chart's data points the dashboard keeps for the widget (grows if updates accumulate) */
  stored: number;
  /** the pack summary the same function sent with these bars (lowest/highest cell) */
  summary: Array<{ pack: string; cells: number; min: number; max: number }>;
}

/**
 * The chart widget as the page holds it. Dashboard 2.0 exposes its chart components on window.uiCharts when
 * window.Cypress is set (its own test hook; set by an init script below), which gives the ECharts instance.
 */
function chartView(page: Page, chartId: string): Promise<ChartView | undefined> {
  return page.evaluate(
    ({ chartId, summaryId }) => {
      type Comp = {
        chart?: { getOption(): { series?: ChartView['series'] } };
        $store: { state: { data: { messages: Record<string, unknown> } } };
      };
      const charts = (window as unknown as { uiCharts?: Record<string, Comp> }).uiCharts;
      const comp = charts?.[chartId];
      if (!comp?.chart) return undefined;
      const messages = comp.$store.state.data.messages;
      const stored = messages[chartId];
      const summary = (messages[summaryId] as { payload?: ChartView['summary'] } | undefined)?.payload ?? [];
      const series = (comp.chart.getOption().series ?? []).map((s) => ({ name: s.name, type: s.type, data: s.data }));
      return { series, stored: Array.isArray(stored) ? stored.length : 0, summary };
    },
    { chartId, summaryId: 'room-ex-cell-summary' },
  ) as Promise<ChartView | undefined>;
}

describe('battery-room dashboard example: live values, cell charts and alarm buttons in Dashboard 2.0', function () {
  this.timeout(300_000);
  let editor: EditorSession;
  let stopSimulators: (() => void) | undefined;
  let page: Page;
  let alarmCard: Locator;

  const row = (alarmId: string): Locator => alarmCard.locator('tbody tr', { hasText: alarmId }).first();
  /** the row's text, or '' while the alarm is not listed */
  const rowText = async (alarmId: string): Promise<string> => ((await row(alarmId).count()) > 0 ? row(alarmId).innerText().catch(() => '') : '');
  /** the state column of the row ('' while the alarm is not listed) */
  const stateOf = async (alarmId: string): Promise<string> =>
    (await row(alarmId).count()) > 0 ? row(alarmId).locator('td[data-column-key="state"]').innerText().catch(() => '') : '';
  const rowButton = (alarmId: string, name: string): Locator => row(alarmId).locator(`td[data-column-key="${name}"] button`);
  /** alarm notifications and the PWA toast come and go over the top right corner: keep them out of screenshots */
  const hidePopups = (): Promise<unknown> => page.addStyleTag({ content: '.v-snackbar, .pwa-toast { visibility: hidden !important; }' });

  before(async function () {
    stopSimulators = await startDemoSimulators();
    const flows = JSON.parse(fs.readFileSync(EXAMPLE, 'utf8')) as FlowNode[];
    editor = await startEditor({ flows });
    // the harness's one page (its browser context allows no second): the dashboard first, the editor at the end
    page = editor.page;
    await page.addInitScript(() => {
      (window as unknown as { Cypress: unknown }).Cypress = {};
    });
    await page.setViewportSize({ width: 1600, height: 1400 });
    await page.goto(editor.baseUrl + '/dashboard');
    alarmCard = page.locator('.v-card', { hasText: 'Acknowledge all' });
  });
  after(async () => {
    await editor?.stop();
    stopSimulators?.();
  });

  it('shows one bar per cell of each pack, in volts, replaced on every poll', async () => {
    await waitFor(async () => (await page.locator('.room-pack').count()) >= 2, 60_000, 'both JK packs in the summary');
    for (const n of [1, 2]) {
      const chartId = `room-ex-cell-chart-${n}`;
      const pack = `jk/pack${n}`;
      // bars and summary come from one function call; retry until the page holds both of the same poll
      const view = await waitFor(async () => {
        const v = await chartView(page, chartId);
        const s = v?.summary.find((p) => p.pack === pack);
        if (!v || !s || v.series.length !== 1 || v.series[0].data.length !== s.cells) return undefined;
        const ys = v.series[0].data.map((d) => d[1]);
        return Math.min(...ys) === s.min && Math.max(...ys) === s.max ? v : undefined;
      }, 60_000, `the cell chart of ${pack} to match its pack summary`);
      const bars = view.series[0];
      expect(bars.type).to.equal('bar');
      expect(bars.data.map((d) => d[0])).to.deep.equal(Array.from({ length: CELLS }, (_, i) => String(i + 1)));
      for (const [, v] of bars.data) expect(v).to.be.within(2.5, 3.65);
    }
    // several polls later (every 5 s) each chart still has one bar per cell: the data is replaced, not appended
    const first = await chartView(page, 'room-ex-cell-chart-1');
    await new Promise((r) => setTimeout(r, 16_000));
    for (const n of [1, 2]) {
      const view = await chartView(page, `room-ex-cell-chart-${n}`);
      expect(view?.series.length).to.equal(1);
      expect(view?.series[0].data.length).to.equal(CELLS);
      expect(view?.stored).to.equal(CELLS);
    }
    // the bars follow the simulator: its cells drift with the charge current, so a later poll differs
    await waitFor(async () => {
      const later = await chartView(page, 'room-ex-cell-chart-1');
      return later && JSON.stringify(later.series[0]?.data) !== JSON.stringify(first?.series[0]?.data);
    }, 90_000, 'the cell chart of pack 1 to change with the simulator');
  });

  it('renders the module table and the unit tiles', async () => {
    const moduleRows = page.locator('.v-card', { hasText: 'BACS modules' }).locator('tbody tr');
    await waitFor(async () => (await moduleRows.count()) >= 5, 60_000, 'BACS module rows');
    const bacsText = await page.locator('.v-card', { hasText: 'BACS modules' }).innerText();
    expect(bacsText).to.match(/voltage/i);
    expect(bacsText).to.match(/\d+\.\d+/);

    await waitFor(async () => (await page.locator('.room-tile').count()) >= 3, 60_000, 'three Jupiter unit tiles');
    expect(await page.locator('.room-tile').first().innerText()).to.match(/\d/);
  });

  it("acknowledges one alarm from its row and leaves the other's state alone", async () => {
    // the example opens both rack-4 contacts about 22 s after the start: two unacknowledged alarms
    await waitFor(async () => /unack/.test(await stateOf(AC_BREAKER)) && /unack/.test(await stateOf(LOAD_BREAKER)), 120_000, 'both breaker alarms unacknowledged');
    expect(await rowButton(AC_BREAKER, 'ack').innerText()).to.match(/acknowledge/i);
    expect(await rowButton(AC_BREAKER, 'shelve').innerText()).to.match(/shelve/i);
    await rowButton(AC_BREAKER, 'ack').click();
    // acknowledged: active-acknowledged, or gone from the list if it had already returned to normal
    await waitFor(async () => !/unack/.test(await stateOf(AC_BREAKER)), 30_000, `${AC_BREAKER} acknowledged`).catch(async (err) => {
      throw new Error(`${String(err)}; row now: ${await rowText(AC_BREAKER)}`);
    });
    // still listed (active-acknowledged): its button says there is nothing left to acknowledge
    if ((await stateOf(AC_BREAKER)) !== '') {
      await waitFor(async () => /^acknowledged$/i.test((await rowButton(AC_BREAKER, 'ack').innerText().catch(() => '')).trim()), 30_000, `${AC_BREAKER} button reads Acknowledged`);
    }
    // the other alarm's acknowledgement is untouched (its contact may have moved it between active and returned)
    expect(await stateOf(LOAD_BREAKER)).to.match(/unacknowledged/);
    expect((await rowButton(LOAD_BREAKER, 'ack').innerText()).trim()).to.match(/^acknowledge$/i);
  });

  it('shelves one alarm from its row for an hour and unshelves it', async () => {
    await waitFor(async () => /unack/.test(await stateOf(LOAD_BREAKER)), 60_000, `${LOAD_BREAKER} listed`);
    const other = await stateOf(AC_BREAKER);
    await rowButton(LOAD_BREAKER, 'shelve').click();
    await waitFor(async () => (await stateOf(LOAD_BREAKER)) === 'shelved', 30_000, `${LOAD_BREAKER} shelved`).catch(async (err) => {
      throw new Error(`${String(err)}; row now: ${await rowText(LOAD_BREAKER)}`);
    });
    expect(await rowButton(LOAD_BREAKER, 'shelve').innerText()).to.match(/unshelve/i);
    // only that alarm: the other is not shelved
    expect(await stateOf(AC_BREAKER)).to.not.equal('shelved');
    if (other !== '') expect(other).to.not.equal('shelved');
    if (SHOTS) {
      fs.mkdirSync(SHOTS, { recursive: true });
      await hidePopups();
      // the whole page in the viewport (a fullPage screenshot resizes after the charts laid out: clipped canvases)
      const height = await page.evaluate(() => document.documentElement.scrollHeight);
      await page.setViewportSize({ width: 1600, height: Math.min(4000, height) });
      await new Promise((r) => setTimeout(r, 1500));
      await page.screenshot({ path: path.join(SHOTS, 'battery-room-dashboard.png') });
    }
    await rowButton(LOAD_BREAKER, 'shelve').click();
    // unshelved: back to its real state (still unacknowledged), or gone if it returned to normal meanwhile
    await waitFor(async () => (await stateOf(LOAD_BREAKER)) !== 'shelved', 30_000, `${LOAD_BREAKER} unshelved`);
  });

  it('acknowledges every alarm with Acknowledge all', async () => {
    // whichever alarm is unacknowledged now (the contacts keep raising them)
    const id = await waitFor(async () => {
      for (const a of [LOAD_BREAKER, AC_BREAKER]) if (/unack/.test(await stateOf(a))) return a;
      return undefined;
    }, 90_000, 'an unacknowledged alarm');
    const before = await rowText(id);
    await page.getByRole('button', { name: /Acknowledge all/i }).click();
    await waitFor(async () => !/unack/.test(await stateOf(id)), 30_000, `${id} acknowledged by Acknowledge all`).catch(async (err) => {
      throw new Error(`${String(err)}; row before: ${before}; now: ${await rowText(id)}`);
    });
  });

  it('shelves with Shelve all and lists only the shelved alarms that were listed, not every normal one', async () => {
    // one of the breaker alarms is listed (acknowledged and active, or unacknowledged)
    const id = await waitFor(async () => {
      for (const a of [AC_BREAKER, LOAD_BREAKER]) if ((await stateOf(a)) !== '') return a;
      return undefined;
    }, 90_000, 'a breaker alarm in the list');
    await page.getByRole('button', { name: /Shelve all/i }).click();
    await waitFor(async () => (await stateOf(id)) === 'shelved', 30_000, `${id} shelved by Shelve all`);
    // every listed alarm is shelved now, and nothing new can be annunciated while all are shelved
    const states = (): Promise<string[]> => alarmCard.locator('tbody td[data-column-key="state"]').allInnerTexts();
    await waitFor(async () => (await states()).every((s) => s === 'shelved'), 30_000, 'every listed alarm shelved').catch(async (err) => {
      throw new Error(`${String(err)}; states: ${(await states()).join(', ')}`);
    });
    // Shelve all shelves every tracked alarm (hundreds of BACS module alarms); the normal ones stay out of the list
    const total = Number(/of (\d+)/.exec(await alarmCard.innerText())?.[1] ?? NaN);
    expect(total).to.be.within(1, 10);

    const errors = editor.errors();
    expect(errors, errors.join('\n')).to.deep.equal([]);
  });
});
