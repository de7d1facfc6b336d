/**
 * The package as a user meets it, outside this repository: the packed tarball installed into a fresh user
 * directory the way the palette manager installs it, beside Node-RED 5.0 on Node 22 and 4.1 and 3.1 on the
 * Node.js running the tests; the simulators started from the installed `dcpower simulate all`; every example
 * fetched from the runtime's example library (what Import > Examples shows), deployed with nothing edited,
 * and each one's data checked where it lands (node status, debug sidebar, the PLC's registers, the broker).
 */
import { expect } from 'chai';
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Browser, chromium } from 'playwright-core';
import { combineExamples, exampleFiles } from '../../bin/demo';
import { ALL_READY } from '../../bin/simulate-all';
import { lockDemoPorts } from '../helpers/demo-ports';
import { childrenOf, installIntoUserDir, processAlive, packTarball, PACKAGE_NAME, prepareRuntime, REPO_ROOT, Runtime, RunningNodeRed, RuntimeSpec, startNodeRed } from '../helpers/installed';
import { modbusRequest } from '../helpers/modbus-raw';
import { Mosquitto, mosquittoAvailable, portOpen } from '../helpers/mosquitto';
import { freeTcpPort, waitFor } from '../helpers/ports';
import { CHROMIUM, requestsInFlight, waitForDialogReady } from '../editor/harness';

/** The releases the package claims (package.json node-red.version) and the Node.js each needs. */
const RUNTIMES: Array<RuntimeSpec & { browser: boolean }> = [
  { nodeRed: '5.0.7', node: '22', browser: true },
  { nodeRed: '4.1.15', node: 'current', browser: false },
  { nodeRed: '3.1.15', node: 'current', browser: false },
];
/** the battery-room example's page; the version the repository's own tests use */
const DASHBOARD = '@flowfuse/node-red-dashboard@1.31.0';
const DEVICE_TYPES = ['jk-bms', 'bacs', 'jupiter-hvdc'];
const UPLINK_BROKER_PORT = 1883; // what the uplink example names

interface FlowNode {
  id: string;
  type: string;
  z?: string;
  name?: string;
  [key: string]: unknown;
}
interface DebugData {
  id: string;
  msg?: string;
}
interface StatusData {
  fill?: string;
  shape?: string;
  text?: string;
}

/** What "sends good data" means for each example; every example must have an entry. */
interface GoodData {
  /** debug nodes (by name) that must show a message, and a text it must contain */
  debug?: Array<{ name: string; contains?: string }>;
  /** a Modbus read that must answer: holding registers from `address`, first one = quality good (0) */
  plcSlot?: { port: number; address: number; count: number };
  /** an MQTT topic filter on the example's broker that must carry a message, and the prefix of its topic */
  mqtt?: { filter: string; prefix: string };
  /** an HTTP page that must be served */
  page?: string;
}
const GOOD_DATA: Record<string, GoodData> = {
  'alarm-rules-battery-voltage': { debug: [{ name: 'state changes' }] },
  'bacs-two-strings': { debug: [{ name: 'BACS reading', contains: '"quality":"good"' }] },
  'battery-room-dashboard': { page: '/dashboard' },
  'jk-bms-two-packs': { debug: [{ name: 'pack readings', contains: '"quality":"good"' }] },
  'jupiter-hvdc-three-units': { debug: [{ name: 'unit messages', contains: '"quality":"good"' }] },
  'plc-bridge': { plcSlot: { port: 5020, address: 200, count: 20 } },
  'uplink-mqtt': { mqtt: { filter: 'dcpower/site1/#', prefix: 'dcpower/site1/' } },
  // a retained discovery config of the Home Assistant mode
  'home-assistant': { mqtt: { filter: 'homeassistant/#', prefix: 'homeassistant/' } },
};

function ourTypes(): string[] {
  const pkg = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { 'node-red': { nodes: Record<string, string> } };
  return Object.keys(pkg['node-red'].nodes);
}

/** Lines in which Node-RED or Node.js complain about this package. */
function complaintsAbout(log: string[]): string[] {
  const ours = /dcpower|@dcpower\/node-red-nodes|jk-bms|jupiter-hvdc|bacs|snmp-endpoint|modbus-endpoint|rs485-bus|plc-bridge|alarm-rules/i;
  return log.filter((l) => (/\[(warn|error)\]/.test(l) && ours.test(l)) || /Uncaught|unhandled|DeprecationWarning/i.test(l));
}

async function firstMqttMessage(port: number, filter: string, timeoutMs: number): Promise<string> {
  // the mqtt package is a dependency of this one
  const mqtt = (await import('mqtt')).default;
  const client = mqtt.connect(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 0 });
  try {
    return await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no message on ${filter} within ${timeoutMs} ms`)), timeoutMs);
      client.on('message', (topic) => {
        clearTimeout(timer);
        resolve(topic);
      });
      client.on('error', reject);
      client.on('connect', () => client.subscribe(filter));
    });
  } finally {
    client.end(true);
  }
}

describe('the installed package: npm pack into a fresh user directory on Node-RED 5.0, 4.1 and 3.1', function () {
  this.timeout(900_000);
  let tarball: string;
  let releasePorts: (() => void) | undefined;
  let broker: Mosquitto | undefined;
  /**
   * Each release's runtime and its fresh user directory with the tarball installed, all started at once when the
   * tarball is packed: the downloads and installs of the later releases overlap the first release's checks
   * instead of waiting for them. Each release still gets a user directory of its own, installed from the tarball.
   */
  const installs = new Map<string, Promise<{ runtime: Runtime; userDir: string }>>();
  const userDirs: string[] = [];

  before(async function () {
    tarball = await packTarball();
    for (const spec of RUNTIMES) {
      const install = (async () => {
        const runtime = await prepareRuntime(spec);
        const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dcpower-installed-'));
        userDirs.push(userDir);
        await installIntoUserDir(runtime, userDir, [tarball, DASHBOARD]);
        return { runtime, userDir };
      })();
      // awaited in the release's own before hook, which reports its failure there
      install.catch(() => undefined);
      installs.set(spec.nodeRed, install);
    }
    // the examples' fixed ports (simulators, PLC bridge, trap receiver, the uplink's broker)
    releasePorts = await lockDemoPorts();
    if (!(await portOpen(UPLINK_BROKER_PORT)) && mosquittoAvailable()) {
      broker = new Mosquitto(UPLINK_BROKER_PORT);
      await broker.start();
    }
  });
  after(async () => {
    // an install still running (a release's tests failed early) must not write into a removed directory
    await Promise.allSettled(installs.values());
    for (const dir of userDirs) fs.rmSync(dir, { recursive: true, force: true });
    await broker?.dispose();
    releasePorts?.();
    if (tarball) fs.rmSync(path.dirname(tarball), { recursive: true, force: true });
  });

  it('packs no source maps and nothing from outside the package', async () => {
    const { execFileSync } = await import('child_process');
    const listing = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).split('\n').filter(Boolean);
    expect(listing.filter((f) => f.endsWith('.map')), 'source maps that point at sources the package does not ship').to.deep.equal([]);
    expect(listing.filter((f) => /\/(test|bench)\//.test(f)), 'tests and benchmarks in the tarball').to.deep.equal([]);
    for (const example of exampleFiles()) expect(listing).to.include(`package/examples/${path.basename(example)}`);
  });

  for (const spec of RUNTIMES) {
    describe(`Node-RED ${spec.nodeRed} on Node ${spec.node === 'current' ? process.versions.node.split('.')[0] : spec.node}`, () => {
      let runtime: Runtime;
      let userDir: string;
      let red: RunningNodeRed;
      let simulators: ChildProcess | undefined;
      const simulatorOutput: string[] = [];
      let flows: FlowNode[] = [];

      before(async () => {
        const install = installs.get(spec.nodeRed);
        if (!install) throw new Error(`no install started for Node-RED ${spec.nodeRed}`);
        ({ runtime, userDir } = await install);
        // `npx dcpower simulate all` in the user directory: the bin npm linked, on this runtime's Node.js
        simulators = spawn(path.join(userDir, 'node_modules', '.bin', 'dcpower'), ['simulate', 'all'], { cwd: userDir, env: runtime.env, stdio: ['ignore', 'pipe', 'pipe'] });
        simulators.stdout?.on('data', (c: Buffer) => simulatorOutput.push(c.toString()));
        simulators.stderr?.on('data', (c: Buffer) => simulatorOutput.push(c.toString()));
        await waitFor(() => simulatorOutput.join('').includes(ALL_READY) || simulators?.exitCode !== null, 60_000, 'dcpower simulate all');
        expect(simulators.exitCode, simulatorOutput.join('')).to.equal(null);
        red = await startNodeRed(runtime, userDir, await freeTcpPort());
      });
      after(async () => {
        await red?.stop();
        if (simulators && simulators.exitCode === null) {
          const exited = new Promise((r) => simulators?.once('exit', r));
          simulators.kill('SIGTERM');
          await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
        }
        if (userDir) fs.rmSync(userDir, { recursive: true, force: true });
      });

      it('runs on the Node.js it needs', async () => {
        const { execFileSync } = await import('child_process');
        const version = execFileSync(runtime.nodeBin, ['--version'], { encoding: 'utf8' }).trim();
        if (spec.node !== 'current') expect(version).to.match(new RegExp(`^v${spec.node}\\.`));
        const installed = JSON.parse(fs.readFileSync(path.join(path.dirname(runtime.redJs), 'package.json'), 'utf8')) as { version: string };
        expect(installed.version).to.equal(spec.nodeRed);
      });

      it('loads every node type of the package with no error or warning about it', async () => {
        const sets = await red.get<Array<{ module: string; types: string[]; enabled: boolean; loaded: boolean; err?: string }>>('/nodes');
        const ours = sets.filter((s) => s.module === PACKAGE_NAME);
        for (const set of ours) expect(set.err, JSON.stringify(set)).to.equal(undefined);
        expect(ours.every((s) => s.enabled), JSON.stringify(ours)).to.equal(true);
        expect(ours.flatMap((s) => s.types).length).to.be.at.least(ourTypes().length);
        const complaints = complaintsAbout(red.log);
        expect(complaints, complaints.join('\n')).to.deep.equal([]);
      });

      it('lists every example under Import > Examples and serves each one', async () => {
        const listing = await red.get<Record<string, unknown> | Array<{ fn?: string }>>(`/library/examples/flows/${PACKAGE_NAME}`);
        const names = (Array.isArray(listing) ? listing : []).map((e) => e.fn).filter((n): n is string => typeof n === 'string');
        const expected = exampleFiles().map((f) => path.basename(f, '.json'));
        expect(names.sort()).to.deep.equal([...expected].sort());
        // what the editor imports: the files as the installed package holds them
        const perExample: FlowNode[][] = [];
        for (const name of expected) perExample.push(await red.get<FlowNode[]>(`/library/examples/flows/${PACKAGE_NAME}/${name}`));
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dcpower-served-examples-'));
        perExample.forEach((nodes, i) => fs.writeFileSync(path.join(dir, `${expected[i]}.json`), JSON.stringify(nodes)));
        flows = combineExamples(exampleFiles(dir));
        fs.rmSync(dir, { recursive: true, force: true });
        expect(Object.keys(GOOD_DATA).sort(), 'a good-data check for every example').to.deep.equal([...expected].sort());
      });

      it('deploys every example unedited against the simulators, and each sends good data', async () => {
        expect(flows.length, 'examples fetched from the library').to.be.greaterThan(0);
        const mark = red.log.length;
        await red.deploy(flows);
        const tabOf = new Map(flows.filter((n) => n.type === 'tab').map((t) => [t.id, t]));
        const byExample = new Map<string, FlowNode[]>();
        for (const name of Object.keys(GOOD_DATA)) {
          const tab = [...tabOf.values()].find((t) => flows.some((n) => n.z === t.id) && (t.id === `demo-tab-${name}` || exampleTabOf(name) === t.id));
          byExample.set(name, tab ? flows.filter((n) => n.z === tab.id) : []);
        }

        const statusOf = (id: string): StatusData[] => red.comms.filter((m) => m.topic === `status/${id}`).map((m) => m.data as StatusData);
        const debugOf = (id: string): DebugData[] => red.comms.filter((m) => m.topic === 'debug' && (m.data as DebugData).id === id).map((m) => m.data as DebugData);
        for (const [name, nodes] of byExample) {
          expect(nodes.length, `${name}: its nodes are on a tab of their own`).to.be.greaterThan(0);
          const want = GOOD_DATA[name];
          // every device node reports a good poll: green dot (the status convention of the package)
          for (const device of nodes.filter((n) => DEVICE_TYPES.includes(n.type))) {
            await waitFor(() => statusOf(device.id).some((s) => s.fill === 'green' && s.shape === 'dot'), 60_000, `${name}: ${device.type} "${device.name ?? device.id}" green (good poll); statuses: ${JSON.stringify(statusOf(device.id))}`);
          }
          for (const { name: debugName, contains } of want.debug ?? []) {
            const debugNode = nodes.find((n) => n.type === 'debug' && n.name === debugName);
            expect(debugNode, `${name}: debug node "${debugName}"`).to.not.equal(undefined);
            await waitFor(() => debugOf(debugNode?.id ?? '').some((d) => contains === undefined || (d.msg ?? '').includes(contains)), 60_000, `${name}: debug "${debugName}" shows ${contains ?? 'a message'}`);
          }
          if (want.plcSlot) {
            const { port, address, count } = want.plcSlot;
            const request = Buffer.from([0x03, address >> 8, address & 0xff, 0, count]);
            const reply = await waitFor(async () => {
              const pdu = await modbusRequest(port, 1, request).catch(() => undefined);
              // quality register first: 0 = good once the example's injects have fed the bridge
              return pdu && pdu[0] === 0x03 && pdu.readUInt16BE(2) === 0 ? pdu : undefined;
            }, 30_000, `${name}: the PLC bridge serves slot registers with quality good`);
            expect(reply.subarray(2).some((b) => b !== 0), 'values besides the quality register').to.equal(true);
          }
          if (want.mqtt) expect((await firstMqttMessage(UPLINK_BROKER_PORT, want.mqtt.filter, 30_000)).startsWith(want.mqtt.prefix), `${name}: a topic under ${want.mqtt.prefix}`).to.equal(true);
          if (want.page) {
            const res = await fetch(`${red.baseUrl}${want.page}`);
            expect(res.status, `${name}: ${want.page}`).to.equal(200);
          }
        }
        const errors = red.log.slice(mark).filter((l) => /\[error\]/.test(l));
        expect(errors, errors.join('\n')).to.deep.equal([]);
        const complaints = complaintsAbout(red.log);
        expect(complaints, complaints.join('\n')).to.deep.equal([]);
      });

      if (spec.browser) {
        it('opens every dialog of the package in the browser with no page error', async function () {
          if (!fs.existsSync(CHROMIUM)) throw new Error('Debian chromium is not installed (.ci/run installs it)');
          let browser: Browser | undefined;
          try {
            browser = await chromium.launch({
              executablePath: CHROMIUM,
              headless: true,
              args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
            });
            const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
            requestsInFlight(page);
            const pageErrors: string[] = [];
            page.on('pageerror', (err) => pageErrors.push(err.message));
            page.setDefaultTimeout(20_000);
            await page.goto(red.baseUrl + '/');
            await page.waitForSelector('.red-ui-palette-node', { timeout: 60_000 });
            // the node types the runtime registered for the package (a set's name is not always its type)
            const sets = await red.get<Array<{ module: string; types: string[] }>>('/nodes');
            const types = sets.filter((set) => set.module === PACKAGE_NAME).flatMap((set) => set.types);
            expect(types.length).to.be.at.least(ourTypes().length);
            const opened: string[] = [];
            for (const type of types) {
              const node = flows.find((n) => n.type === type);
              expect(node, `an example node of type ${type}`).to.not.equal(undefined);
              const config = node?.z === undefined && !('wires' in (node ?? {}));
              await page.evaluate(
                ({ id, type, config }) => {
                  const red = (window as unknown as { RED: { nodes: { node(id: string): unknown }; editor: { edit(n: unknown): void; editConfig(name: string, type: string, id: string): void } } }).RED;
                  if (config) red.editor.editConfig('', type, id);
                  else red.editor.edit(red.nodes.node(id));
                },
                { id: node?.id ?? '', type, config },
              );
              const ok = config ? '#node-config-dialog-ok' : '#node-dialog-ok';
              await page.waitForSelector(ok, { state: 'visible' });
              // the form filled from what oneditprepare fetched (presets, serial ports, the register map)
              await waitForDialogReady(page);
              const rawKeys = await page.locator('.red-ui-tray').last().evaluate((el) => (el.textContent ?? '').match(/\b[a-z-]+\.(label|tip|errors|placeholder)\.[A-Za-z.]+/g) ?? []);
              expect(rawKeys, `${type}: i18n keys shown instead of text`).to.deep.equal([]);
              await page.click(config ? '#node-config-dialog-cancel' : '#node-dialog-cancel');
              await page.waitForSelector(ok, { state: 'detached' });
              opened.push(type);
            }
            expect(opened).to.deep.equal(types);
            // the dialogs' shared script comes from the package's resources/ folder, which the tarball must carry
            expect(await page.evaluate(() => typeof (window as unknown as { dcpowerKeepUnsetDefaults?: unknown }).dcpowerKeepUnsetDefaults)).to.equal('function');
            expect(pageErrors, pageErrors.join('\n')).to.deep.equal([]);
          } finally {
            await browser?.close();
          }
        });

        it('dcpower demo from the installed package: one line when Node-RED is missing, no child outlives a SIGKILL', async () => {
          // free the examples' ports for the demo's own simulators and flows
          await red.stop();
          if (simulators && simulators.exitCode === null) {
            const exited = new Promise((r) => simulators?.once('exit', r));
            simulators.kill('SIGTERM');
            await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
          }
          const home = fs.mkdtempSync(path.join(os.tmpdir(), 'dcpower-home-'));
          const dcpower = path.join(userDir, 'node_modules', '.bin', 'dcpower');
          // a PATH with this Node.js only: no node-red command, no npm to ask for a global one
          const env = { ...runtime.env, HOME: home, PATH: path.dirname(runtime.nodeBin) };
          const missing = spawn(dcpower, ['demo', '--port', String(await freeTcpPort())], { cwd: userDir, env, stdio: ['ignore', 'pipe', 'pipe'] });
          let missingOutput = '';
          missing.stdout?.on('data', (c: Buffer) => (missingOutput += c.toString()));
          missing.stderr?.on('data', (c: Buffer) => (missingOutput += c.toString()));
          const code = await new Promise<number | null>((resolve) => missing.once('exit', resolve));
          expect(code, missingOutput).to.equal(1);
          expect(missingOutput.trim().split('\n'), missingOutput).to.have.length(1);
          expect(missingOutput).to.match(/Node-RED not found.*npm install -g/);

          const demo = spawn(dcpower, ['demo', '--port', String(await freeTcpPort()), '--node-red', path.dirname(runtime.redJs)], { cwd: userDir, env, stdio: ['ignore', 'pipe', 'pipe'] });
          const demoLog: string[] = [];
          demo.stdout?.on('data', (c: Buffer) => demoLog.push(c.toString()));
          demo.stderr?.on('data', (c: Buffer) => demoLog.push(c.toString()));
          try {
            await waitFor(() => demoLog.join('').includes('Started flows') || demo.exitCode !== null, 90_000, 'the installed demo to start its flows');
            expect(demo.exitCode, demoLog.join('')).to.equal(null);
            expect(fs.existsSync(path.join(home, '.dcpower-demo', 'flows.json')), 'the demo user directory is in the home directory').to.equal(true);
            expect(fs.existsSync(path.join(userDir, 'node_modules', PACKAGE_NAME, '.demo')), 'nothing written into node_modules').to.equal(false);
            const children = childrenOf(demo.pid ?? -1);
            expect(children.length, 'Node-RED and dcpower simulate all').to.equal(2);
            demo.kill('SIGKILL');
            await waitFor(() => children.every((pid) => !processAlive(pid)), 20_000, `the demo's children ${children.join(', ')} to exit after its SIGKILL`);
          } finally {
            if (demo.exitCode === null) demo.kill('SIGKILL');
            fs.rmSync(home, { recursive: true, force: true });
          }
        });
      }
    });
  }
});

/** The tab id an example file declares for itself, if it has one. */
function exampleTabOf(name: string): string | undefined {
  const file = exampleFiles().find((f) => path.basename(f, '.json') === name);
  const nodes = file ? (JSON.parse(fs.readFileSync(file, 'utf8')) as FlowNode[]) : [];
  return nodes.find((n) => n.type === 'tab')?.id;
}
