/** Finds the SnmpLink contract (lib/snmp/types.ts) on whatever the snmp-endpoint config node is. */
import type { SnmpLink } from '../../lib/snmp/types';

function isFn(o: Record<string, unknown>, k: string): boolean {
  return typeof o[k] === 'function';
}

/** The snmp-endpoint config node is the link, or holds it as `link`/`client`. */
export function asSnmpLink(candidate: unknown): SnmpLink | undefined {
  if (typeof candidate !== 'object' || candidate === null) return undefined;
  const o = candidate as Record<string, unknown>;
  if (isFn(o, 'get') && isFn(o, 'walk') && isFn(o, 'targets') && isFn(o, 'onTrap')) return o as unknown as SnmpLink;
  for (const k of ['link', 'client']) {
    const inner = o[k];
    if (typeof inner === 'object' && inner !== null) {
      const i = inner as Record<string, unknown>;
      if (isFn(i, 'get') && isFn(i, 'walk') && isFn(i, 'targets') && isFn(i, 'onTrap')) return i as unknown as SnmpLink;
    }
  }
  return undefined;
}

