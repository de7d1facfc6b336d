/**
 * Sparkplug primary host application awareness, pure (no MQTT, no Node-RED).
 *
 * Sparkplug B 3.0: the host publishes `spBv1.0/STATE/<host id>`, retained, QoS 1, payload JSON
 * `{"online":true,"timestamp":<ms>}`, and sets the same topic with `"online":false` and the *same* timestamp as its
 * MQTT will. An edge node configured with a primary host subscribes to that topic, publishes its births only while
 * the host is online, and on `online:false` publishes its NDEATH and disconnects. STATE messages can arrive out of
 * order (the will of an older host session after the birth of a newer one, a stale retained message), so the edge
 * node keeps the newest timestamp of any STATE it has seen and ignores every STATE older than it, online or offline
 * (Sparkplug 3.0 [tck-id-message-flow-edge-node-birth-publish-phid-wait-timestamp],
 * [tck-id-operational-behavior-edge-node-termination-host-offline-timestamp]).
 *
 * Sparkplug B 2.2 (legacy): `STATE/<host id>`, payload `ONLINE` or `OFFLINE`, no timestamp: the last message wins.
 */
import { fail, ok, Result } from '../../lib/wire/result';
import { topicLevel } from './topics';

export type HostStateForm = 'v3' | 'legacy';

export function hostStateTopic(hostId: string, form: HostStateForm): string {
  return form === 'legacy' ? `STATE/${topicLevel(hostId)}` : `spBv1.0/STATE/${topicLevel(hostId)}`;
}

export interface HostStateMessage {
  online: boolean;
  /** the host's timestamp (3.0 only) */
  timestamp?: number;
}

/**
 * A STATE payload, or why it is not one. An empty payload (a retained STATE being cleared) is `undefined`: it says
 * nothing about the host and is not an error.
 */
export function parseHostState(payload: Uint8Array, form: HostStateForm): Result<HostStateMessage | undefined> {
  if (payload.length === 0) return ok(undefined);
  const text = Buffer.from(payload).toString('utf8').trim();
  if (form === 'legacy') {
    if (text === 'ONLINE') return ok({ online: true });
    if (text === 'OFFLINE') return ok({ online: false });
    return fail('bad_value', `expected ONLINE or OFFLINE, got ${preview(text)}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return fail('bad_value', `not JSON: ${preview(text)}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return fail('bad_value', `not a JSON object: ${preview(text)}`);
  const { online, timestamp } = parsed as Record<string, unknown>;
  if (typeof online !== 'boolean') return fail('bad_value', `"online" is not true or false: ${preview(text)}`);
  if (typeof timestamp !== 'number' || !Number.isFinite(timestamp)) return fail('bad_value', `"timestamp" is not a number: ${preview(text)}`);
  return ok({ online, timestamp });
}

function preview(text: string): string {
  const oneLine = text.replace(/\s+/g, ' ');
  return oneLine.length <= 60 ? JSON.stringify(oneLine) : JSON.stringify(oneLine.slice(0, 59) + '…');
}

export type HostState = 'unknown' | 'online' | 'offline';

/** What a STATE message means for the edge node's session. */
export type HostVerdict =
  /** the host is online: births may go out (again) */
  | 'online'
  /** the host is offline: NDEATH and disconnect if born, otherwise keep waiting */
  | 'offline'
  /** a STATE older than the newest one seen (the will of an earlier host session, a replayed one), or an empty one */
  | 'ignored';

/** The last known state of the primary host, across connections (ordering by timestamp spans sessions). */
export class PrimaryHostTracker {
  private current: HostState = 'unknown';
  /** the newest timestamp of any STATE seen; it never moves backwards */
  private newest: number | undefined;

  get state(): HostState {
    return this.current;
  }

  apply(message: HostStateMessage | undefined): HostVerdict {
    if (message === undefined) return 'ignored';
    const at = message.timestamp;
    if (at !== undefined) {
      // equal counts: a host's will repeats the timestamp of its own online STATE
      if (this.newest !== undefined && at < this.newest) return 'ignored';
      this.newest = at;
    }
    this.current = message.online ? 'online' : 'offline';
    return this.current;
  }
}
