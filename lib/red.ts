/** Typed access to the Node-RED API used by every node, and guards that keep errors inside the node. */
import type { NodeAPI, Node, NodeDef, NodeMessage, NodeMessageInFlow } from 'node-red';
import type { Translate } from './status';

export type { NodeAPI, Node, NodeDef, NodeMessage, NodeMessageInFlow };

export type SendFunction = (msg: NodeMessage | Array<NodeMessage | NodeMessage[] | null>) => void;
export type DoneFunction = (err?: Error) => void;

export function translator(RED: NodeAPI): Translate {
  return (key, substitutions) => RED._(key, substitutions);
}

export function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

/**
 * Wraps a callback from a library (serial, SNMP, socket) so that an exception inside it becomes a reported
 * error instead of crashing the Node-RED process (docs/node-red-notes.md A3).
 */
export function guard<A extends unknown[]>(onError: (err: Error) => void, fn: (...args: A) => void): (...args: A) => void {
  return (...args: A) => {
    try {
      fn(...args);
    } catch (err) {
      onError(asError(err));
    }
  };
}

/**
 * What makes two errors the same state for reporting: the condition a typed error names (a Modbus link that is
 * down, a timeout, exception 2), else its kind or code, else its text. Wording that changes while the state
 * does not (a back-off countdown, a retry count) must not count as a new error.
 */
export function errorCondition(err: Error): string {
  const typed = err as Error & { condition?: unknown; kind?: unknown; code?: unknown };
  for (const value of [typed.condition, typed.kind, typed.code]) if (typeof value === 'string' && value !== '') return value;
  return err.message;
}

/**
 * Reports an error to Catch nodes once per change of state, not on every failed poll
 * (docs/node-red-notes.md A3, B2 #6). `report(key, err)` emits when the key's error condition (errorCondition)
 * differs from the last one; `clear(key)` re-arms it.
 */
export class ErrorOnce {
  private readonly last = new Map<string, string>();
  constructor(private readonly emit: (err: Error, key: string) => void) {}

  report(key: string, err: Error): boolean {
    const condition = errorCondition(err);
    if (this.last.get(key) === condition) return false;
    this.last.set(key, condition);
    this.emit(err, key);
    return true;
  }

  clear(key: string): void {
    this.last.delete(key);
  }

  has(key: string): boolean {
    return this.last.has(key);
  }
}
