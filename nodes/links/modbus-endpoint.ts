/**
 * modbus-endpoint: the config node that owns one Modbus/TCP link (host, port, unit id) and its FIFO, shared by
 * every node that reads through it. The logic lives in lib/modbus/link.ts, the connection in lib/modbus/client.ts
 * (modbus-serial with the package's queue, back-off and typed errors on top); this file is the Node-RED glue.
 *
 * User nodes do `getLink(RED, config.endpoint, 'modbus-endpoint')` (lib/device/links.ts), call
 * `link.register(user)` once, then `readRegisters`, `readBits(fc, address, count)` or `readPlan(ranges)`, and
 * `await link.deregister(user)` in their close handler (the last one to leave disconnects). The endpoint has no
 * status of its own in the editor: link states go to each user's `onLinkState`, which shows them.
 */
import type { Node, NodeAPI, NodeDef } from '../../lib/red';
import { ModbusLink, ModbusLinkCore, linkSettings } from '../../lib/modbus/link';
import { offerLink } from '../../lib/device/links';

interface ModbusEndpointDef extends NodeDef {
  host: string;
  port: string | number;
  unitId: string | number;
  timeout: string | number;
  functionCode: string | number;
  addressing: string | number;
  reconnectMs: string | number;
  reconnectMaxMs: string | number;
  maxGap: string | number;
}

export = function (RED: NodeAPI): void {
  function ModbusEndpoint(this: Node & ModbusLink & { core: ModbusLinkCore }, config: ModbusEndpointDef): void {
    RED.nodes.createNode(this, config);
    const core = new ModbusLinkCore(linkSettings(config as unknown as { [key: string]: unknown }), (message) => this.warn(message));
    Object.defineProperties(this, {
      core: { value: core },
      settings: { get: () => core.settings },
      state: { get: () => core.state },
      target: { get: () => core.target },
    });
    this.register = (user) => core.register(user);
    this.deregister = (user) => core.deregister(user);
    this.readRegisters = (address, count, functionCode) => core.readRegisters(address, count, functionCode);
    this.readBits = (functionCode, address, count) => core.readBits(functionCode, address, count);
    this.readPlan = (ranges, functionCode) => core.readPlan(ranges, functionCode);
    this.stats = () => core.stats();
    offerLink(this, 'modbus-endpoint', this);
    this.on('close', (_removed: boolean, done: () => void) => {
      core.shutdown().then(
        () => done(),
        () => done(),
      );
    });
  }
  RED.nodes.registerType('modbus-endpoint', ModbusEndpoint);
};
