/**
 * rs485-bus: the config node that owns one RS485 bus (a serial port or a transparent RS485-to-TCP gateway) and
 * its one FIFO of requests. The transport is in lib/rs485/; this file is the Node-RED glue.
 *
 * User nodes do `getLink(RED, config.bus, 'rs485-bus')` (lib/device/links.ts), then
 * `bus.register(node.id)` (returns the shared Rs485Bus, or throws a clear error such as "port already in use
 * with other settings"), and `await bus.deregister(node.id)` in their close handler. The port opens with the
 * first user and closes with the last, so an unused config node never holds a port. Link state changes reach
 * each user through the bus's `state` event; users show them and send them to Catch nodes.
 */
import { translatorWithFallback } from '../../lib/i18n';
import type { NodeAPI } from '../../lib/red';
import type { Rs485Bus } from '../../lib/rs485/bus';
import { Rs485BusDef, Rs485BusNode, settingsFromConfig } from '../../lib/rs485/config';
import { listSerialPorts } from '../../lib/rs485/ports';
import { acquireBus, releaseBus } from '../../lib/rs485/registry';
import { offerLink } from '../../lib/device/links';

export = function (RED: NodeAPI): void {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const t = translatorWithFallback(RED, require('./locales/en-US/rs485-bus.json'));
  function Rs485BusConfig(this: Rs485BusNode, config: Rs485BusDef): void {
    RED.nodes.createNode(this, config);
    const { link, options } = settingsFromConfig(config);
    const label = config.name || (link.kind === 'tcp' ? `${link.host}:${link.port}` : link.path || this.id);
    const users = new Set<string>();
    let bus: Rs485Bus | undefined;
    Object.defineProperties(this, {
      linkSettings: { value: link },
      busOptions: { value: options },
      description: { value: label },
    });
    this.register = (user: string): Rs485Bus => {
      if (link.kind === 'serial' && !link.path) throw new Error(t('rs485-bus.errors.noPath'));
      if (!bus) bus = acquireBus(this.id, label, link, options);
      users.add(user);
      return bus;
    };
    this.deregister = async (user: string): Promise<void> => {
      users.delete(user);
      if (users.size > 0 || !bus) return;
      const closing = bus;
      bus = undefined;
      await releaseBus(this.id, closing);
    };
    offerLink(this, 'rs485-bus', this);
    this.on('close', (_removed: boolean, done: () => void) => {
      users.clear();
      const closing = bus;
      bus = undefined;
      if (!closing) {
        done();
        return;
      }
      releaseBus(this.id, closing).then(
        () => done(),
        () => done(),
      );
    });
  }
  RED.nodes.registerType('rs485-bus', Rs485BusConfig);

  // The dialog's port list. Never fails: without udev it still lists /dev/serial/by-id and the usual names.
  RED.httpAdmin.get('/dcpower/serial-ports', RED.auth.needsPermission('rs485-bus.read'), (_req, res) => {
    listSerialPorts().then(
      (ports) => res.json(ports),
      () => res.json([]),
    );
  });
};
