/**
 * The example flows as a person sees them on the canvas: wires run left to right without crossing each other or
 * running through a node, every device and alarm node sits in a group (one per device), and a wire never leaves
 * its group (link out / link in nodes carry a message between groups).
 *
 * The geometry is Node-RED's own (editor-client view.js) with one simplification:
 * - a node is a box centred on its x, y: height max(30, 15 × outputs), width max(100, 20·⌈(label + 57) / 20⌉)
 *   where the label's width is estimated at 7 px a character (14 px Helvetica); a node that shows no label (link
 *   and junction nodes unless `l` is true, any node with `l` false) is 30 px square;
 * - output port i of n sits at the right edge, y + (i − (n − 1) / 2) × 13; the input port at the left edge, y;
 * - a group's box is its nodes' boxes plus Node-RED's margin of 26 px (20 more beside an inject's or debug's
 *   button), which is what the editor recomputes on import whatever the file says;
 * - a wire is the straight segment from its output port to its input port. Node-RED draws a bezier between the
 *   same points; for a wire that runs left to right (checked first) the two stay within a few pixels of each other
 *   except near the ends, where both meet the same port, so a straight crossing is a drawn crossing.
 * Two wires that share an output port or an input port touch there by design and do not count as crossing.
 */
import { expect } from 'chai';
import * as fs from 'fs';
import * as path from 'path';

const EXAMPLES = path.resolve(__dirname, '..', '..', '..', 'examples');
/** node types of this package that belong in a group (a device, the alarms, a bridge or uplink) */
const GROUPED_TYPES: ReadonlySet<string> = new Set(['jk-bms', 'bacs', 'jupiter-hvdc', 'alarm-rules', 'dcpower-plc-bridge', 'dcpower-uplink']);
const UNLABELLED: ReadonlySet<string> = new Set(['link in', 'link out', 'link call', 'junction']);
const BUTTON_LEFT: ReadonlySet<string> = new Set(['inject']);
const BUTTON_RIGHT: ReadonlySet<string> = new Set(['debug']);
const CHAR_PX = 7;
const GROUP_MARGIN = 26;

export interface FlowNode {
  id: string;
  type: string;
  z?: string;
  g?: string;
  x?: number;
  y?: number;
  name?: string;
  wires?: string[][];
  [key: string]: unknown;
}
interface Box {
  left: number;
  right: number;
  top: number;
  bottom: number;
}
interface Point {
  x: number;
  y: number;
}
interface Wire {
  from: FlowNode;
  to: FlowNode;
  start: Point;
  end: Point;
  port: number;
}

/** what the node shows on the canvas, as far as the width goes */
function label(n: FlowNode): string {
  if (typeof n.name === 'string' && n.name !== '') return n.name;
  if (n.type === 'alarm-rules') return `alarm rules (${Array.isArray(n.rules) ? n.rules.length : 0})`;
  return n.type;
}

export function nodeBox(n: FlowNode): Box {
  const outputs = n.wires?.length ?? 0;
  // a link node shows its label only when told to (l: true); other nodes unless told not to
  const bare = n.l === false || (UNLABELLED.has(n.type) && n.l !== true);
  const w = bare ? 30 : Math.max(100, 20 * Math.ceil((label(n).length * CHAR_PX + 57) / 20));
  const h = bare ? 30 : Math.max(30, outputs * 15);
  const x = n.x ?? 0;
  const y = n.y ?? 0;
  return { left: x - w / 2, right: x + w / 2, top: y - h / 2, bottom: y + h / 2 };
}

export function groupBox(members: FlowNode[]): Box | undefined {
  if (members.length === 0) return undefined;
  const boxes = members.map((n) => {
    const b = nodeBox(n);
    return {
      left: b.left - GROUP_MARGIN - (BUTTON_LEFT.has(n.type) ? 20 : 0),
      right: b.right + GROUP_MARGIN + (BUTTON_RIGHT.has(n.type) ? 20 : 0),
      top: b.top - GROUP_MARGIN,
      bottom: b.bottom + GROUP_MARGIN,
    };
  });
  return {
    left: Math.min(...boxes.map((b) => b.left)),
    right: Math.max(...boxes.map((b) => b.right)),
    top: Math.min(...boxes.map((b) => b.top)),
    bottom: Math.max(...boxes.map((b) => b.bottom)),
  };
}

function wiresOf(nodes: FlowNode[]): Wire[] {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const out: Wire[] = [];
  for (const from of nodes) {
    const ports = from.wires ?? [];
    ports.forEach((targets, port) => {
      for (const id of targets) {
        const to = byId.get(id);
        if (!to) continue;
        const a = nodeBox(from);
        const b = nodeBox(to);
        out.push({ from, to, port, start: { x: a.right, y: (from.y ?? 0) + (port - (ports.length - 1) / 2) * 13 }, end: { x: b.left, y: to.y ?? 0 } });
      }
    });
  }
  return out;
}

function cross(o: Point, a: Point, b: Point): number {
  return (a.x - o.x) * (b.y - o.y) - (a.y - o.y) * (b.x - o.x);
}

/** a proper intersection: each segment has the other's ends strictly on either side */
function segmentsCross(p1: Point, p2: Point, q1: Point, q2: Point): boolean {
  const d1 = cross(q1, q2, p1);
  const d2 = cross(q1, q2, p2);
  const d3 = cross(p1, p2, q1);
  const d4 = cross(p1, p2, q2);
  return d1 * d2 < 0 && d3 * d4 < 0;
}

function segmentHitsBox(p: Point, q: Point, b: Box): boolean {
  // Liang–Barsky clipping of the segment against the box
  let t0 = 0;
  let t1 = 1;
  const dx = q.x - p.x;
  const dy = q.y - p.y;
  for (const [pk, qk] of [
    [-dx, p.x - b.left],
    [dx, b.right - p.x],
    [-dy, p.y - b.top],
    [dy, b.bottom - p.y],
  ]) {
    if (pk === 0) {
      if (qk < 0) return false;
      continue;
    }
    const t = qk / pk;
    if (pk < 0) t0 = Math.max(t0, t);
    else t1 = Math.min(t1, t);
    if (t0 > t1) return false;
  }
  return t1 - t0 > 1e-9;
}

function overlap(a: Box, b: Box): boolean {
  return a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
}

export interface Layout {
  wires: number;
  crossings: number;
  problems: string[];
}

/** Measures one example flow: its wires, how many pairs cross, and every rule of the file comment it breaks. */
export function measureLayout(flow: FlowNode[]): Layout {
  const problems: string[] = [];
  let wires = 0;
  let crossings = 0;
  const name = (n: FlowNode): string => `${n.type} "${label(n)}"`;
  for (const tab of flow.filter((n) => n.type === 'tab')) {
    const onTab = flow.filter((n) => n.z === tab.id);
    const nodes = onTab.filter((n) => n.type !== 'group' && typeof n.x === 'number' && typeof n.y === 'number');
    const groups = onTab.filter((n) => n.type === 'group');
    const groupIds = new Set(groups.map((g) => g.id));
    const boxes = new Map(groups.map((g) => [g.id, groupBox(nodes.filter((n) => n.g === g.id))]));
    const all = wiresOf(nodes);
    wires += all.length;

    for (const n of nodes) {
      if (GROUPED_TYPES.has(n.type) && !(n.g !== undefined && groupIds.has(n.g))) problems.push(`${name(n)} is in no group`);
      if (n.g !== undefined && !groupIds.has(n.g)) problems.push(`${name(n)} names a group ${n.g} that the tab lacks`);
    }
    nodes.forEach((a, i) => {
      for (const b of nodes.slice(i + 1)) if (overlap(nodeBox(a), nodeBox(b))) problems.push(`${name(a)} and ${name(b)} overlap`);
    });
    groups.forEach((a, i) => {
      const boxA = boxes.get(a.id);
      if (!boxA) problems.push(`group "${String(a.name)}" is empty`);
      for (const b of groups.slice(i + 1)) {
        const boxB = boxes.get(b.id);
        if (boxA && boxB && overlap(boxA, boxB)) problems.push(`groups "${String(a.name)}" and "${String(b.name)}" overlap`);
      }
      for (const n of nodes) if (boxA && n.g !== a.id && overlap(nodeBox(n), boxA)) problems.push(`${name(n)} lies inside group "${String(a.name)}" without belonging to it`);
    });

    all.forEach((w, i) => {
      const what = `wire ${name(w.from)} → ${name(w.to)}`;
      if (w.end.x <= w.start.x) problems.push(`${what} runs right to left`);
      if (w.from.g !== w.to.g) problems.push(`${what} leaves its group (use link nodes)`);
      for (const n of nodes) if (n !== w.from && n !== w.to && segmentHitsBox(w.start, w.end, nodeBox(n))) problems.push(`${what} runs through ${name(n)}`);
      for (const g of groups) {
        const box = boxes.get(g.id);
        if (box && w.from.g !== g.id && w.to.g !== g.id && segmentHitsBox(w.start, w.end, box)) problems.push(`${what} runs through group "${String(g.name)}"`);
      }
      for (const v of all.slice(i + 1)) {
        const samePort = (w.from === v.from && w.port === v.port) || w.to === v.to;
        if (!samePort && segmentsCross(w.start, w.end, v.start, v.end)) {
          crossings++;
          problems.push(`${what} crosses wire ${name(v.from)} → ${name(v.to)}`);
        }
      }
    });
  }
  return { wires, crossings, problems };
}

export function exampleFlows(dir = EXAMPLES): Array<{ file: string; flow: FlowNode[] }> {
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => ({ file, flow: JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as FlowNode[] }));
}

describe('example flows: a canvas a person can read', () => {
  const examples = exampleFlows();
  it('finds the examples', () => expect(examples.length).to.be.at.least(7));
  for (const { file, flow } of examples) {
    it(`${file}: left-to-right wires, none crossing or through a node, devices and alarms in groups`, () => {
      const layout = measureLayout(flow);
      expect(layout.problems, layout.problems.join('\n')).to.deep.equal([]);
      expect(layout.crossings).to.equal(0);
    });
  }

  it('counts a crossing, a wire through a node, a wire out of its group and an ungrouped device', () => {
    // two wires forming an X, a third through a node's box, a jk-bms node outside any group
    const flow: FlowNode[] = [
      { id: 't', type: 'tab' },
      { id: 'a', type: 'inject', z: 't', x: 100, y: 100, wires: [['d']] },
      { id: 'b', type: 'inject', z: 't', x: 100, y: 200, wires: [['c']] },
      { id: 'c', type: 'debug', z: 't', x: 400, y: 100, wires: [] },
      { id: 'd', type: 'debug', z: 't', x: 400, y: 200, wires: [] },
      { id: 'e', type: 'jk-bms', z: 't', x: 100, y: 400, wires: [['f']] },
      { id: 'm', type: 'function', z: 't', x: 400, y: 400, wires: [[]] },
      { id: 'f', type: 'debug', z: 't', x: 700, y: 400, wires: [] },
      { id: 'g', type: 'group', z: 't', name: 'grp' },
      { id: 'h', type: 'inject', z: 't', g: 'g', x: 100, y: 600, wires: [['i']] },
      { id: 'i', type: 'debug', z: 't', x: 400, y: 600, wires: [] },
    ];
    const layout = measureLayout(flow);
    expect(layout.crossings).to.equal(1);
    const text = layout.problems.join('\n');
    expect(text).to.include('runs through function');
    expect(text).to.include('jk-bms "jk-bms" is in no group');
    expect(text).to.include('leaves its group');
  });
});
