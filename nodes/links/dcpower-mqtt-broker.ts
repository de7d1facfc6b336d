/** `dcpower-mqtt-broker`: where an uplink connects and with which credentials (see mqtt-endpoint.ts for why). */
import type { NodeAPI } from '../../lib/red';
import { brokerEndpoint, BrokerCredentials, BrokerDef, MqttBrokerNode } from './mqtt-endpoint';

export = function (RED: NodeAPI): void {
  function DcpowerMqttBroker(this: MqttBrokerNode, def: BrokerDef): void {
    RED.nodes.createNode(this, def);
    this.endpoint = (clientSuffix: string) => brokerEndpoint(def, (this.credentials ?? {}) as BrokerCredentials, clientSuffix);
  }
  RED.nodes.registerType('dcpower-mqtt-broker', DcpowerMqttBroker as unknown as Parameters<NodeAPI['nodes']['registerType']>[1], {
    credentials: { username: { type: 'text' }, password: { type: 'password' } },
  });
};
