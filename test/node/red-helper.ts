/** Typed access to node-red-node-test-helper (it ships no types), for this package's node tests. */
/* eslint-disable @typescript-eslint/no-var-requires */
import type { EventEmitter } from 'events';

export interface TestNode extends EventEmitter {
  id: string;
  receive(msg: object): void;
  status: { getCalls(): Array<{ args: unknown[] }>; called: boolean };
  error: { getCalls(): Array<{ args: unknown[] }>; called: boolean };
  warn: { getCalls(): Array<{ args: unknown[] }>; called: boolean };
  [key: string]: unknown;
}

export interface Helper {
  init(nodeRedPath: string, settings?: object): void;
  load(modules: unknown[], flow: object[], credentials?: object): Promise<void>;
  unload(): Promise<void>;
  getNode(id: string): TestNode | null;
  startServer(done: (err?: Error) => void): void;
  stopServer(done: (err?: Error) => void): void;
  setFlows(flow: object[], type?: string): Promise<void>;
  settings(settings: object): void;
  request(): unknown;
}

export const helper = require('node-red-node-test-helper') as Helper;
helper.init(require.resolve('node-red'));

export function startServer(): Promise<void> {
  return new Promise((resolve, reject) => helper.startServer((err) => (err ? reject(err) : resolve())));
}

export function stopServer(): Promise<void> {
  return new Promise((resolve, reject) => helper.stopServer((err) => (err ? reject(err) : resolve())));
}

/** Resolves with the first value `pick` returns for an event, or rejects after ms. */
export function waitFor<T>(emitter: EventEmitter, event: string, pick: (...args: unknown[]) => T | undefined, ms = 10000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      emitter.off(event, listener);
      reject(new Error(`no matching ${event} within ${ms} ms`));
    }, ms);
    const listener = (...args: unknown[]): void => {
      let value: T | undefined;
      try {
        value = pick(...args);
      } catch (err) {
        clearTimeout(timer);
        emitter.off(event, listener);
        reject(err as Error);
        return;
      }
      if (value === undefined) return;
      clearTimeout(timer);
      emitter.off(event, listener);
      resolve(value);
    };
    emitter.on(event, listener);
  });
}
