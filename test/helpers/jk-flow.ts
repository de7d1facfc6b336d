/** A jk-bms node on an rs485-bus over TCP, its output and Catch collected: the flow of the JK node tests. */
import type { TestNode } from '../node/red-helper';

/* eslint-disable @typescript-eslint/no-var-requires */
const busNode = require('../../nodes/links/rs485-bus');
const jkNode = require('../../nodes/jk-bms/jk-bms');
const catchNode = require('@node-red/nodes/core/common/25-catch');
const helperNode = require('@node-red/nodes/core/common/21-debug');
/* eslint-enable @typescript-eslint/no-var-requires */

export interface Msg {
  topic: string;
  payload: Record<string, unknown> & { settings?: Record<string, number>; switches?: Record<string, boolean> };
  quality: string;
  device: Record<string, unknown>;
  units: Record<string, string>;
  error?: { message: string };
}

export function jkFlow(port: number, jk: Record<string, unknown>): object[] {
  return [
    { id: 'tab', type: 'tab', label: 'jk' },
    { id: 'bus1', type: 'rs485-bus', link: 'tcp', host: '127.0.0.1', port, gap: 10, timeout: 300, reconnectMs: 100, reconnectMaxMs: 500 },
    { id: 'jk1', type: 'jk-bms', z: 'tab', bus: 'bus1', protocol: 'jk02', addresses: '1', interval: 0.3, staleTime: 0, topic: 'jk', wires: [['out']], ...jk },
    { id: 'out', type: 'helper', z: 'tab', wires: [] },
    { id: 'catcher', type: 'catch', z: 'tab', scope: null, uncaught: false, wires: [['caught']] },
    { id: 'caught', type: 'helper', z: 'tab', wires: [] },
  ];
}

export const JK_NODES = [busNode, jkNode, helperNode, catchNode];

export function collect(node: TestNode): Msg[] {
  const got: Msg[] = [];
  node.on('input', (m: Msg) => got.push(m));
  return got;
}

