/**
 * Editor test harness: a real Node-RED (the same user directory the demo builds, this package linked in) and
 * its editor driven in headless Debian Chromium through playwright-core. Tests add a node from the palette,
 * open its edit dialog by double-clicking it, fill the form as a user would, deploy, and read back what the
 * runtime received through the admin API.
 */
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Browser, chromium, Page, Request } from 'playwright-core';
import { writeUserDir } from '../../bin/demo';
import { ALL_READY } from '../../bin/simulate-all';
import { lockDemoPorts } from '../helpers/demo-ports';
import { freeTcpPort, waitFor } from '../helpers/ports';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export interface FlowNode {
  id: string;
  type: string;
  z?: string;
  [key: string]: unknown;
}

export interface EditorSession {
  baseUrl: string;
  page: Page;
  /** every line Node-RED printed */
  log: string[];
  /** the flows the runtime holds now */
  runtimeFlows(): Promise<FlowNode[]>;
  /** drags a node from the palette onto the workspace; returns its id */
  addNode(type: string, x?: number, y?: number): Promise<string>;
  /** double-clicks the node in the workspace to open its edit dialog */
  openNode(id: string): Promise<void>;
  /** Done in the edit dialog (or the config-node dialog when `config` is true) */
  done(config?: boolean): Promise<void>;
  deploy(): Promise<void>;
  /** runtime log lines at error level */
  errors(): string[];
  screenshot(name: string): Promise<string>;
  stop(): Promise<void>;
}

export function chromiumAvailable(): boolean {
  return fs.existsSync(CHROMIUM);
}

/** the worker script Monaco (as Node-RED ships it) runs for a language's services */
const MONACO_WORKERS: Record<string, string> = {
  javascript: 'ts.worker.js',
  typescript: 'ts.worker.js',
  html: 'html.worker.js',
  handlebars: 'html.worker.js',
  css: 'css.worker.js',
  scss: 'css.worker.js',
  less: 'css.worker.js',
  json: 'json.worker.js',
};

/**
 * Resolves once the edit dialog opened last is ready as a user meets it, instead of sleeping for a guessed time:
 * the editor has built it (oneditprepare ran, and the tray has started to slide in), every request its form made
 * has been answered with its callbacks run (jQuery counts them; the presets, serial ports, register map and
 * credentials all go through it), no other XHR or fetch of the page is in flight, and each code editor in it has the
 * worker of its language running (a Monaco editor closed before its worker loaded throws "Model is disposed!").
 * The slide-in itself needs no wait: a click waits for the button to stand still.
 */
export async function waitForDialogReady(page: Page, timeoutMs = 20_000): Promise<void> {
  const inFlight = requestsInFlight(page);
  await page.waitForFunction(
    () => {
      const w = window as unknown as { jQuery: { active: number }; RED: { editor: { getEditStack(): unknown[] } } };
      const trays = document.querySelectorAll<HTMLElement>('#red-ui-editor-stack .red-ui-tray');
      const top = trays[trays.length - 1];
      return w.RED.editor.getEditStack().length > 0 && top !== undefined && top.style.right === '0px' && w.jQuery.active === 0;
    },
    undefined,
    { timeout: timeoutMs, polling: 'raf' },
  );
  await waitFor(() => inFlight.size === 0, timeoutMs, `the requests of the dialog to finish: ${[...inFlight].map((r) => r.url()).join(', ')}`);
  const languages = await page.evaluate(() => {
    const m = (window as unknown as { monaco?: { editor: { getEditors(): Array<{ getDomNode(): HTMLElement | null; getModel(): { getLanguageId(): string } | null }> } } }).monaco;
    const trays = document.querySelectorAll('#red-ui-editor-stack .red-ui-tray');
    const top = trays[trays.length - 1];
    if (!m || !top) return [];
    return m.editor
      .getEditors()
      .filter((e) => {
        const dom = e.getDomNode();
        return dom !== null && top.contains(dom);
      })
      .map((e) => e.getModel()?.getLanguageId() ?? '');
  });
  for (const language of new Set(languages)) {
    const script = MONACO_WORKERS[language];
    if (!script) continue;
    // its script has run: the worker answers (one being replaced may close meanwhile: then ask its successor)
    await waitFor(
      async () => {
        const worker = page.workers().find((w) => w.url().endsWith(`/${script}`));
        return worker ? await worker.evaluate(() => true) : undefined;
      },
      timeoutMs,
      `Monaco's ${script} for the ${language} editor`,
    );
  }
}

const tracked = new WeakMap<Page, Set<Request>>();
/**
 * The page's data requests (XHR and fetch: what a form asks the runtime for) that have not finished yet, counted
 * from the first call on: call it right after the page is made (startEditor does). Scripts, styles and worker
 * scripts are left out (a worker's script load may never report its end), and so are event streams.
 */
export function requestsInFlight(page: Page): Set<Request> {
  let set = tracked.get(page);
  if (!set) {
    const open = new Set<Request>();
    page.on('request', (r) => void (['xhr', 'fetch'].includes(r.resourceType()) && open.add(r)));
    page.on('requestfinished', (r) => void open.delete(r));
    page.on('requestfailed', (r) => void open.delete(r));
    tracked.set(page, open);
    set = open;
  }
  return set;
}

export interface EditorOptions {
  flows?: FlowNode[];
  /** the browser's language (navigator.language and Accept-Language), which the editor follows: `zh-CN` */
  locale?: string;
}

export async function startEditor(options: EditorOptions = {}): Promise<EditorSession> {
  if (!chromiumAvailable()) throw new Error('Debian chromium is not installed (.ci/run installs it)');
  const port = await freeTcpPort();
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dcpower-editor-'));
  const flows = options.flows ?? [{ id: 'editor-test-tab', type: 'tab', label: 'Editor test' }];
  const settingsFile = writeUserDir({ port, userDir, flows });
  const log: string[] = [];
  const red: ChildProcess = spawn(process.execPath, [require.resolve('node-red/red.js'), '--userDir', userDir, '--settings', settingsFile], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const collect = (chunk: Buffer): void => {
    log.push(...chunk.toString().split('\n').filter((l) => l.trim().length > 0));
  };
  red.stdout?.on('data', collect);
  red.stderr?.on('data', collect);
  const baseUrl = `http://127.0.0.1:${port}`;
  let browser: Browser | undefined;
  const stop = async (): Promise<void> => {
    await browser?.close().catch(() => undefined);
    if (red.exitCode === null) {
      const exited = new Promise((r) => red.once('exit', r));
      red.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (red.exitCode === null) red.kill('SIGKILL');
    }
    fs.rmSync(userDir, { recursive: true, force: true });
  };
  try {
    await waitFor(() => log.some((l) => l.includes('Started flows')), 60_000, 'Node-RED to start flows');
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
    const page = await browser.newPage({ viewport: { width: 1600, height: 1000 }, locale: options.locale ?? 'en-US' });
    requestsInFlight(page);
    page.setDefaultTimeout(20_000);
    await page.goto(baseUrl + '/');
    await page.waitForSelector('#red-ui-workspace-chart', { timeout: 60_000 });
    await page.waitForSelector('.red-ui-palette-node', { timeout: 60_000 });

    let placed = 0;
    const session: EditorSession = {
      baseUrl,
      page,
      log,
      async runtimeFlows() {
        const res = await fetch(baseUrl + '/flows', { headers: { 'Node-RED-API-Version': 'v1' } });
        return (await res.json()) as FlowNode[];
      },
      async addNode(type, x = 300, y?: number) {
        // Each new node goes on its own row, so a drop never lands on a node already there.
        const row = placed++;
        const dropY = y ?? 80 + (row % 8) * 70;
        const dropX = x + Math.floor(row / 8) * 220;
        const newNodeOfType = (before: string[]): Promise<string | undefined> =>
          page.evaluate(
            ({ before, type }) => {
              const red = (window as unknown as { RED: { nodes: { eachNode(cb: (n: { id: string; type: string }) => void): void } } }).RED;
              let found: string | undefined;
              red.nodes.eachNode((n) => {
                if (n.type === type && !before.includes(n.id)) found = n.id;
              });
              return found;
            },
            { before, type },
          );
        const before = await page.evaluate(() => {
          const red = (window as unknown as { RED: { nodes: { eachNode(cb: (n: { id: string }) => void): void } } }).RED;
          const ids: string[] = [];
          red.nodes.eachNode((n) => ids.push(n.id));
          return ids;
        });
        const paletteNode = page.locator(`.red-ui-palette-node[data-palette-type="${type}"]`);
        // A drag can be lost on a loaded machine (jQuery UI misses a move event): try it again, as a user would.
        for (let attempt = 0; attempt < 3; attempt++) {
          await paletteNode.scrollIntoViewIfNeeded();
          const box = await paletteNode.boundingBox();
          const chart = await page.locator('#red-ui-workspace-chart').boundingBox();
          if (!box || !chart) throw new Error(`palette node ${type} or workspace not visible`);
          await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
          await page.mouse.down();
          await page.mouse.move(box.x + box.width / 2 + 20, box.y + box.height / 2 + 5, { steps: 4 });
          await page.mouse.move(chart.x + dropX / 2, chart.y + dropY, { steps: 10 });
          await page.mouse.move(chart.x + dropX, chart.y + dropY, { steps: 10 });
          await page.mouse.up();
          const id = await waitFor(() => newNodeOfType(before), 5_000, `${type} to appear in the workspace`).catch(() => undefined);
          if (id) return id;
        }
        throw new Error(`timed out waiting for ${type} to appear in the workspace after 3 drags`);
      },
      async openNode(id) {
        await page.dblclick(`g.red-ui-flow-node-group[id="${id}"] .red-ui-flow-node`);
        await page.waitForSelector('#node-dialog-ok', { state: 'visible' });
      },
      async done(config = false) {
        const button = config ? '#node-config-dialog-ok' : '#node-dialog-ok';
        await page.click(button);
        await page.waitForSelector(button, { state: 'detached' });
      },
      async deploy() {
        const deployed = log.length;
        await page.click('#red-ui-header-button-deploy');
        await waitFor(() => log.slice(deployed).some((l) => l.includes('Started modified') || l.includes('Started flows')), 60_000, 'deploy');
      },
      errors() {
        return log.filter((l) => /\[error\]/.test(l));
      },
      async screenshot(name) {
        const dir = path.resolve(__dirname, '..', '..', '..', 'test-results');
        fs.mkdirSync(dir, { recursive: true });
        const file = path.join(dir, `${name}.png`);
        await page.screenshot({ path: file });
        return file;
      },
      stop,
    };
    return session;
  } catch (err) {
    const tail = log.slice(-20).join('\n');
    await stop();
    throw new Error(`${err instanceof Error ? err.message : String(err)}\nNode-RED log:\n${tail}`);
  }
}

/**
 * Starts `dcpower simulate all` (the simulators at the examples' fixed ports) and resolves once it says every
 * simulator serves; one that exits at once found a port taken (another demo or test on this machine).
 * The returned function stops them all.
 */
export async function startDemoSimulators(): Promise<() => void> {
  const dcpower = path.resolve(__dirname, '..', '..', 'bin', 'dcpower.js');
  const release = await lockDemoPorts();
  const child = spawn(process.execPath, [dcpower, 'simulate', 'all'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const stopAll = (): void => {
    if (child.exitCode === null) child.kill('SIGTERM');
    release();
  };
  try {
    await new Promise<void>((resolve, reject) => {
      let output = '';
      const collect = (chunk: Buffer): void => {
        output += chunk.toString();
        if (output.includes(ALL_READY)) resolve();
      };
      child.stdout?.on('data', collect);
      child.stderr?.on('data', collect);
      child.once('exit', (code) => reject(new Error(`dcpower simulate all exited (${code}): ${output.trim()}`)));
      setTimeout(() => reject(new Error('dcpower simulate all did not start within 30 s')), 30_000).unref();
    });
  } catch (err) {
    stopAll();
    throw err;
  }
  return stopAll;
}
