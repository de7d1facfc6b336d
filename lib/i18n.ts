/**
 * Translation with a fallback: Node-RED's RED._ returns the key itself when a node's catalogue is not loaded
 * (node-red-node-test-helper, or a package installed without its locales); then the English catalogue shipped
 * next to the node is used, so errors reaching Catch nodes and logs still say something readable.
 */
import type { NodeAPI } from 'node-red';
import type { Translate } from './status';

type Catalogue = { [key: string]: string | Catalogue };

function lookup(catalogue: Catalogue | undefined, key: string): string | undefined {
  let node: string | Catalogue | undefined = catalogue;
  for (const part of key.split('.')) {
    if (node === undefined || typeof node === 'string') return undefined;
    node = node[part];
  }
  return typeof node === 'string' ? node : undefined;
}

function substitute(text: string, substitutions?: Record<string, string | number>): string {
  if (!substitutions) return text;
  return text.replace(/__(\w+)__/g, (whole, name: string) => (name in substitutions ? String(substitutions[name]) : whole));
}

/** `fallback` holds the node's en-US catalogue (its `common` part is added from lib/locales when absent). */
export function translatorWithFallback(RED: NodeAPI, fallback: Catalogue): Translate {
  let common: Catalogue | undefined;
  try {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    common = require('./locales/en-US/common.json') as Catalogue;
  } catch {
    common = undefined;
  }
  const merged: Catalogue = { ...fallback, common: (fallback.common as Catalogue | undefined) ?? common ?? {} };
  return (key, substitutions) => {
    let text: string | undefined;
    try {
      text = RED._(key, substitutions);
    } catch {
      text = undefined;
    }
    if (typeof text === 'string' && text !== key && text.length > 0) return text;
    const own = lookup(merged, key);
    return own === undefined ? key : substitute(own, substitutions);
  };
}
