/**
 * The uplink's dialog and its broker's dialog in the real editor: add the node, choose Sparkplug, add a broker
 * with user name and password, deploy, and check what the runtime holds and that it reaches a password-protected
 * mosquitto with those credentials.
 */
import { expect } from 'chai';
import * as mqtt from 'mqtt';
import { decodeSparkplug, longToNumber } from '../../nodes/uplink/sparkplug';
import { Mosquitto, mosquittoAvailable } from '../helpers/mosquitto';
import { freeTcpPort, waitFor } from '../helpers/ports';
import * as path from 'path';
import { combineExamples } from '../../bin/demo';
import { EditorSession, FlowNode, startEditor } from './harness';

describe('editor: dcpower-uplink and dcpower-mqtt-broker dialogs', function () {
  this.timeout(180_000);
  let editor: EditorSession;
  let broker: Mosquitto;
  let subscriber: mqtt.MqttClient | undefined;
  const received: Array<{ topic: string; payload: Buffer }> = [];

  before(async function () {
    if (!mosquittoAvailable()) throw new Error('mosquitto is not installed (.ci/run installs it)');
    broker = new Mosquitto(await freeTcpPort(), { edge: 's3cret' });
    await broker.start();
    const client = mqtt.connect(`mqtt://127.0.0.1:${broker.port}`, { username: 'edge', password: 's3cret', reconnectPeriod: 200 });
    subscriber = client;
    client.on('error', () => undefined);
    client.on('message', (topic, payload) => received.push({ topic, payload }));
    await new Promise<void>((resolve, reject) => client.once('connect', () => client.subscribe('spBv1.0/#', { qos: 1 }, (err) => (err ? reject(err) : resolve()))));
    editor = await startEditor();
  });

  after(async () => {
    await editor?.stop();
    await new Promise<void>((resolve) => (subscriber ? subscriber.end(true, {}, () => resolve()) : resolve()));
    await broker?.dispose();
  });

  it('fills both dialogs, deploys, and the runtime connects with the credentials as a Sparkplug edge node', async () => {
    const page = editor.page;
    const id = await editor.addNode('dcpower-uplink');
    await editor.openNode(id);
    await page.fill('#node-input-name', 'to SCADA');
    await page.selectOption('#node-input-format', 'sparkplug');
    expect(await page.isVisible('#node-input-group')).to.equal(true);
    expect(await page.isVisible('#node-input-enterprise')).to.equal(false);
    await page.fill('#node-input-group', 'plant7');
    await page.fill('#node-input-edge', 'edge-a');
    await page.fill('#node-input-bufferSize', '500');
    // wait for a primary host application; the bdSeq store offers at least the default store
    expect(await page.isVisible('#node-input-primaryHost')).to.equal(true);
    await page.fill('#node-input-primaryHost', 'scada-a');
    expect(await page.locator('#node-input-bdSeqStore option').count()).to.be.at.least(1);
    expect(await page.inputValue('#node-input-bdSeqStore')).to.equal('');
    // the topic preview follows the fields
    await waitFor(async () => (await page.textContent('#dcpower-uplink-preview'))?.includes('spBv1.0/plant7/NBIRTH/edge-a'), 5_000, 'the topic preview');
    await waitFor(async () => (await page.textContent('#dcpower-uplink-preview'))?.includes('spBv1.0/STATE/scada-a'), 5_000, 'the STATE topic in the preview');

    // add a broker through the + button beside the Broker field
    await page.click('#node-input-btn-broker-add');
    await page.waitForSelector('#node-config-input-host', { state: 'visible' });
    await page.fill('#node-config-input-name', 'test broker');
    await page.fill('#node-config-input-host', '127.0.0.1');
    await page.fill('#node-config-input-port', String(broker.port));
    await page.selectOption('#node-config-input-protocolVersion', '4');
    await page.fill('#node-config-input-username', 'edge');
    await page.fill('#node-config-input-password', 's3cret');
    await editor.done(true);
    await editor.done();
    await editor.deploy();

    const flows = await editor.runtimeFlows();
    const uplink = flows.find((n) => n.id === id);
    expect(uplink).to.deep.include({ name: 'to SCADA', format: 'sparkplug', group: 'plant7', edge: 'edge-a', primaryHost: 'scada-a', legacyHostState: false, bdSeqStore: '' });
    expect(Number(uplink?.bufferSize)).to.equal(500);
    const config = flows.find((n) => n.id === uplink?.broker);
    expect(config).to.deep.include({ type: 'dcpower-mqtt-broker', host: '127.0.0.1', protocolVersion: '4' });
    expect(Number(config?.port)).to.equal(broker.port);
    // credentials are kept apart from the flow: not in the export, the password never sent back to the editor
    expect(JSON.stringify(flows)).to.not.contain('s3cret');
    const creds = (await (await fetch(`${editor.baseUrl}/credentials/dcpower-mqtt-broker/${String(config?.id)}`)).json()) as Record<string, unknown>;
    expect(creds).to.deep.equal({ username: 'edge', has_password: true });

    // the runtime got them: the broker only lets this user in; births wait for the primary host's STATE
    await new Promise<void>((resolve, reject) =>
      subscriber?.publish('spBv1.0/STATE/scada-a', JSON.stringify({ online: true, timestamp: Date.now() }), { qos: 1, retain: true }, (err) => (err ? reject(err) : resolve())),
    );
    await waitFor(() => received.some((m) => m.topic === 'spBv1.0/plant7/NBIRTH/edge-a'), 30_000, 'the NBIRTH of the deployed node');
    const nbirth = decodeSparkplug(received.find((m) => m.topic === 'spBv1.0/plant7/NBIRTH/edge-a')?.payload ?? Buffer.alloc(0));
    expect(longToNumber(nbirth?.seq)).to.equal(0);
    expect(editor.errors()).to.deep.equal([]);
    await editor.screenshot('uplink-dialog-deployed');
  });

  it('the example deploys without a broker: a ring status, no error in the runtime log', async function () {
    const example = combineExamples([path.resolve(__dirname, '..', '..', '..', 'examples', 'uplink-mqtt.json')]) as FlowNode[];
    const session = await startEditor({ flows: example });
    try {
      await session.page.click('.red-ui-tab:has-text("MQTT uplink")').catch(() => undefined);
      const label = session.page.locator('g.red-ui-flow-node-group[id="uplink-ex-json"] .red-ui-flow-node-status-label');
      await waitFor(async () => ((await label.textContent().catch(() => '')) ?? '').trim().length > 0, 30_000, 'the uplink status in the editor');
      await new Promise((r) => setTimeout(r, 3_000));
      const text = ((await label.textContent()) ?? '').trim();
      // a broker may really run on 127.0.0.1:1883 on some machines: then the status is the green "ok"
      expect(text).to.match(/ECONNREFUSED|connecting|^ok /);
      expect(session.errors()).to.deep.equal([]);
      await session.screenshot('uplink-example');
    } finally {
      await session.stop();
    }
  });
});
