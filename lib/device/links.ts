/**
 * One typed way for a device node to get its link: the link config nodes (rs485-bus, modbus-endpoint,
 * snmp-endpoint) offer their link under their kind when they start, and a device node asks for a kind by the
 * config node's id. No casts or duck typing at the call site: the answer is the typed link, or why there is none.
 */
import type { NodeAPI } from '../red';
import type { Rs485BusNode } from '../rs485/config';
import type { ModbusLink } from '../modbus/link';
import type { SnmpEndpoint } from '../snmp/types';

/** what each link config node offers its users */
export interface LinkKinds {
  'rs485-bus': Rs485BusNode;
  'modbus-endpoint': ModbusLink;
  'snmp-endpoint': SnmpEndpoint;
}
export type LinkKind = keyof LinkKinds;

/** `unset`: the dialog names no link; `missing`: no deployed node has that id; `wrongKind`: it is another kind of node */
export type LinkProblem = 'unset' | 'missing' | 'wrongKind';
export type LinkLookup<K extends LinkKind> = { ok: true; link: LinkKinds[K] } | { ok: false; problem: LinkProblem };

interface Offer {
  kind: LinkKind;
  link: unknown;
}

// keyed by the config node object itself: a redeployed node is a new object, and a removed one is collected
const offers = new WeakMap<object, Offer>();

/** Called by a link config node in its constructor. */
export function offerLink<K extends LinkKind>(configNode: object, kind: K, link: LinkKinds[K]): void {
  offers.set(configNode, { kind, link });
}

export function getLink<K extends LinkKind>(RED: Pick<NodeAPI, 'nodes'>, id: unknown, kind: K): LinkLookup<K> {
  if (typeof id !== 'string' || id === '') return { ok: false, problem: 'unset' };
  const node: object | null = RED.nodes.getNode(id);
  if (!node) return { ok: false, problem: 'missing' };
  const offer = offers.get(node);
  if (!offer || offer.kind !== kind) return { ok: false, problem: 'wrongKind' };
  // the kind was checked above; offerLink's signature ties the link to its kind
  return { ok: true, link: offer.link as LinkKinds[K] };
}

/** The error a device node reports when its link lookup failed (texts from lib/locales common.errors). */
export function linkError(t: (key: string, subs?: Record<string, string | number>) => string, problem: LinkProblem, kind: LinkKind): Error {
  return new Error(problem === 'wrongKind' ? t('common.errors.wrongLink', { kind }) : t('common.errors.noLink'));
}
