/**
 * The topic scheme of the uplink, pure (no MQTT, no Node-RED). Two schemes:
 *
 * Plain JSON, unified namespace (ISA-95 style tree, docs/alarm-management.md §3.5):
 *   <enterprise>/<site>[/<area>]/<device kind>/<device name>         last reading, retained
 *   <enterprise>/<site>[/<area>]/<device kind>/<device name>/<key>   one value (optional split), retained
 *   <enterprise>/<site>[/<area>]/alarms/<alarm id>                    alarm state changes, retained, QoS 1
 *   <enterprise>/<site>[/<area>]/edge/<edge id>/state                 online/offline of this uplink, LWT
 *
 * Sparkplug B 3.0: spBv1.0/<group id>/<NBIRTH|NDATA|NDEATH|NCMD>/<edge node id>
 *                  spBv1.0/<group id>/<DBIRTH|DDATA|DDEATH|DCMD>/<edge node id>/<device id>
 */

/** One topic level: MQTT forbids `+` and `#` in topic names, `/` would split the level, empty levels help no one. */
export function topicLevel(text: string): string {
  // eslint-disable-next-line no-control-regex
  const cleaned = String(text).replace(/[+#/\u0000-\u001f\u007f]/g, '_').trim();
  return cleaned.length > 0 ? cleaned : '_';
}

/** A path of levels (an alarm id such as `jk/pack1/cellHigh/3` keeps its levels, each cleaned). */
export function topicPath(text: string): string {
  return String(text)
    .split('/')
    .map((level) => topicLevel(level))
    .join('/');
}

export interface UnsScheme {
  enterprise: string;
  site: string;
  area?: string;
  /** this uplink's name in the tree (its state topic) */
  edge: string;
}

export function unsRoot(scheme: UnsScheme): string {
  const levels = [scheme.enterprise, scheme.site, scheme.area ?? ''].filter((l) => l.trim().length > 0).map(topicLevel);
  // `$` topics belong to the broker ($SYS); a root starting with `$` would not be delivered to `#` subscribers
  if (levels.length > 0 && levels[0].startsWith('$')) levels[0] = '_' + levels[0].slice(1);
  return levels.length > 0 ? levels.join('/') : '_';
}

export function unsDeviceTopic(scheme: UnsScheme, kind: string, name: string, key?: string): string {
  const base = `${unsRoot(scheme)}/${topicLevel(kind)}/${topicLevel(name)}`;
  return key === undefined ? base : `${base}/${topicLevel(key)}`;
}

export function unsAlarmTopic(scheme: UnsScheme, alarmId: string): string {
  return `${unsRoot(scheme)}/alarms/${topicPath(alarmId)}`;
}

export function unsStateTopic(scheme: UnsScheme): string {
  return `${unsRoot(scheme)}/edge/${topicLevel(scheme.edge)}/state`;
}

export const SPARKPLUG_NAMESPACE = 'spBv1.0';

export type NodeMessageType = 'NBIRTH' | 'NDATA' | 'NDEATH' | 'NCMD';
export type DeviceMessageType = 'DBIRTH' | 'DDATA' | 'DDEATH' | 'DCMD';

export interface SparkplugIds {
  group: string;
  edge: string;
}

export function sparkplugNodeTopic(ids: SparkplugIds, type: NodeMessageType): string {
  return `${SPARKPLUG_NAMESPACE}/${topicLevel(ids.group)}/${type}/${topicLevel(ids.edge)}`;
}

export function sparkplugDeviceTopic(ids: SparkplugIds, type: DeviceMessageType, device: string): string {
  return `${SPARKPLUG_NAMESPACE}/${topicLevel(ids.group)}/${type}/${topicLevel(ids.edge)}/${topicLevel(device)}`;
}

export interface ParsedSparkplugTopic {
  group: string;
  type: string;
  edge: string;
  device?: string;
}

export function parseSparkplugTopic(topic: string): ParsedSparkplugTopic | undefined {
  const levels = topic.split('/');
  if (levels[0] !== SPARKPLUG_NAMESPACE || levels.length < 4 || levels.length > 5) return undefined;
  return { group: levels[1], type: levels[2], edge: levels[3], device: levels[4] };
}
