/**
 * The project's status vocabulary (docs/design.md §5; docs/node-red-notes.md A5). Texts come from the
 * node's locale catalogue; the shared keys under `common.status` are merged into every node's catalogue by
 * scripts/build.js from lib/locales/.
 */
export type StatusFill = 'red' | 'green' | 'yellow' | 'blue' | 'grey';
export type StatusShape = 'ring' | 'dot';

export interface NodeStatus {
  fill?: StatusFill;
  shape?: StatusShape;
  text?: string;
}

export type Translate = (key: string, substitutions?: Record<string, string | number>) => string;

/** hh:mm:ss of a timestamp, local time, the short form the status text has room for */
export function clockTime(at: number): string {
  const d = new Date(at);
  const two = (n: number): string => String(n).padStart(2, '0');
  return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}

/** Status texts must stay short (about 20 characters). */
export function shortReason(reason: string, max = 24): string {
  const oneLine = reason.replace(/\s+/g, ' ').trim();
  return oneLine.length <= max ? oneLine : oneLine.slice(0, max - 1) + '…';
}

export function statusVocabulary(t: Translate) {
  return {
    notConfigured: (): NodeStatus => ({ fill: 'grey', shape: 'ring', text: t('common.status.notConfigured') }),
    connecting: (): NodeStatus => ({ fill: 'yellow', shape: 'ring', text: t('common.status.connecting') }),
    /** reachable, but held back by something outside (e.g. a Sparkplug primary host that is offline) */
    waiting: (what: string): NodeStatus => ({ fill: 'yellow', shape: 'dot', text: t('common.status.waiting', { what: shortReason(what, 28) }) }),
    ok: (at: number, detail?: string): NodeStatus => ({
      fill: 'green',
      shape: 'dot',
      text: t('common.status.ok', { time: clockTime(at) }) + (detail ? ` ${detail}` : ''),
    }),
    stale: (ageMs: number): NodeStatus => ({
      fill: 'yellow',
      shape: 'dot',
      text: t('common.status.stale', { age: Math.round(ageMs / 1000) }),
    }),
    /** `retryInMs`: the link waits to reconnect; the countdown lives here, not in the error sent to Catch */
    error: (reason: string, retryInMs?: number): NodeStatus => ({
      fill: 'red',
      shape: 'ring',
      text:
        t('common.status.error', { reason: shortReason(reason) }) +
        (retryInMs !== undefined && retryInMs > 0 ? t('common.status.retry', { seconds: Math.ceil(retryInMs / 1000) }) : ''),
    }),
    timeout: (): NodeStatus => ({ fill: 'red', shape: 'ring', text: t('common.status.timeout') }),
    stopped: (): NodeStatus => ({ fill: 'red', shape: 'dot', text: t('common.status.stopped') }),
  };
}
