/**
 * The Sparkplug B 3.0 edge-node conformance of dcpower-uplink, as the Eclipse Sparkplug TCK checks it: the
 * registry of every `[tck-id-…]` statement (specification tag v3.0.0) that the TCK's edge-node tests
 * (SessionEstablishment, SessionTermination, SendData, SendComplexData, ReceiveCommand, PrimaryHost,
 * MultipleBroker) and its monitor check, each with its result here; and the views of a recording
 * (mqtt-recorder.ts) that the checks in test/integration/sparkplug-tck-*.test.ts assert on.
 * docs/sparkplug-conformance.md lists the same registry; test/unit/uplink/sparkplug-conformance-doc.test.ts keeps
 * the two equal. Summaries are ours; the statements themselves are in the specification.
 */
import * as tahu from 'sparkplug-payload/lib/sparkplugPayloadProto';
import type { IConnackPacket, IConnectPacket, IDisconnectPacket, IPublishPacket, ISubscribePacket } from 'mqtt-packet';
import type { RecordedPacket } from './mqtt-recorder';

export type Level = 'MUST' | 'SHOULD' | 'MAY';
/** edge: the session scenario (no primary host); host: the primary host scenario */
export type Suite = 'edge' | 'host';

export interface Statement {
  id: string;
  level: Level;
  summary: string;
  result: 'pass' | 'n/a';
  /** pass: the scenario whose recording the check asserts on */
  suite?: Suite;
  /** pass: only under this MQTT version (the others do not apply) */
  version?: 4 | 5;
  /** n/a: why; pass: how it is met where that needs saying */
  note?: string;
}

const HOST_APP = 'a statement about host applications, which the TCK monitor also watches; the edge node publishes no STATE';
const TEMPLATE = 'no Template metrics are published';
const DATASET = 'no DataSet metrics are published';
const QUALITY = 'no "Quality" property is published (the quality of a device is its metric Device/Quality)';
const NDATA = "no NDATA is published: the edge node's own metrics (bdSeq, Node Control/Rebirth) do not change within a session";
const DCMD = 'devices accept no writes, so there is no DCMD to subscribe to';
const SERVERS = 'one MQTT server per uplink: there is no list of servers to walk';

const pass = (id: string, level: Level, suite: Suite, summary: string, extra: { version?: 4 | 5; note?: string } = {}): Statement => ({
  id,
  level,
  summary,
  result: 'pass',
  suite,
  ...extra,
});
const na = (id: string, level: Level, summary: string, note: string): Statement => ({ id, level, summary, result: 'n/a', note });

export const STATEMENTS: readonly Statement[] = [
  pass('tck-id-case-sensitivity-metric-names', 'SHOULD', 'edge', 'no two metric names of a device equal in lower case', {
    note: 'the second name is refused with a warning',
  }),
  pass('tck-id-case-sensitivity-sparkplug-ids', 'SHOULD', 'edge', 'no two Sparkplug ids equal in lower case', {
    note: 'device ids within the edge node: the second is refused with a warning; group and edge ids are one per uplink',
  }),
  na('tck-id-host-topic-phid-birth-payload', 'MUST', 'host STATE birth payload', HOST_APP),
  na('tck-id-host-topic-phid-death-payload-timestamp-connect', 'MUST', 'host STATE will timestamp', HOST_APP),
  na('tck-id-host-topic-phid-death-payload-timestamp-disconnect-clean', 'MUST', 'host STATE death on a clean disconnect', HOST_APP),
  pass('tck-id-intro-device-id-chars', 'MUST', 'edge', 'device id has only characters allowed in MQTT topics', { note: '`+`, `#`, `/` and control characters become `_`' }),
  pass('tck-id-intro-device-id-string', 'MUST', 'edge', 'device id is a UTF-8 string'),
  pass('tck-id-intro-edge-node-id-chars', 'MUST', 'edge', 'edge node id has only characters allowed in MQTT topics'),
  pass('tck-id-intro-edge-node-id-string', 'MUST', 'edge', 'edge node id is a UTF-8 string'),
  pass('tck-id-intro-edge-node-id-uniqueness', 'MUST', 'edge', 'edge node descriptor unique in the infrastructure', {
    note: 'one MQTT client per edge node at a time; unique group and edge ids across uplinks are the integrator’s configuration',
  }),
  pass('tck-id-intro-group-id-chars', 'MUST', 'edge', 'group id has only characters allowed in MQTT topics'),
  pass('tck-id-intro-group-id-string', 'MUST', 'edge', 'group id is a UTF-8 string'),
  pass('tck-id-message-flow-device-birth-publish-dbirth-match-edge-node-topic', 'MUST', 'edge', "DBIRTH group and edge ids are those of the edge node's NBIRTH"),
  pass('tck-id-message-flow-device-birth-publish-dbirth-payload', 'MUST', 'edge', 'DBIRTH payload is Sparkplug protobuf'),
  pass('tck-id-message-flow-device-birth-publish-dbirth-payload-seq', 'MUST', 'edge', 'DBIRTH seq 0-255, one more than the previous message'),
  pass('tck-id-message-flow-device-birth-publish-dbirth-qos', 'MUST', 'edge', 'DBIRTH QoS 0'),
  pass('tck-id-message-flow-device-birth-publish-dbirth-retained', 'MUST', 'edge', 'DBIRTH not retained'),
  pass('tck-id-message-flow-device-birth-publish-dbirth-topic', 'MUST', 'edge', 'DBIRTH topic spBv1.0/group/DBIRTH/edge/device'),
  pass('tck-id-message-flow-device-birth-publish-nbirth-wait', 'MUST', 'edge', 'NBIRTH sent in the current MQTT session before any DBIRTH'),
  na('tck-id-message-flow-device-dcmd-subscribe', 'MUST', 'a device that accepts writes subscribes to its DCMD at QoS 1', DCMD),
  pass('tck-id-message-flow-edge-node-birth-publish-connect', 'MUST', 'edge', 'MQTT session (CONNACK) before NBIRTH and DBIRTH'),
  pass('tck-id-message-flow-edge-node-birth-publish-nbirth-payload', 'MUST', 'edge', 'NBIRTH payload is Sparkplug protobuf'),
  pass('tck-id-message-flow-edge-node-birth-publish-nbirth-payload-bdSeq', 'MUST', 'edge', 'NBIRTH has metric bdSeq, Int64, the value of the CONNECT’s will'),
  pass('tck-id-message-flow-edge-node-birth-publish-nbirth-payload-seq', 'MUST', 'edge', 'NBIRTH seq 0-255'),
  pass('tck-id-message-flow-edge-node-birth-publish-nbirth-qos', 'MUST', 'edge', 'NBIRTH QoS 0'),
  pass('tck-id-message-flow-edge-node-birth-publish-nbirth-retained', 'MUST', 'edge', 'NBIRTH not retained'),
  pass('tck-id-message-flow-edge-node-birth-publish-nbirth-topic', 'MUST', 'edge', 'NBIRTH topic spBv1.0/group/NBIRTH/edge'),
  pass('tck-id-message-flow-edge-node-birth-publish-phid-offline', 'MUST', 'host', 'primary host offline (not older than its online): NDEATH, disconnect, start over'),
  pass('tck-id-message-flow-edge-node-birth-publish-phid-wait', 'MUST', 'host', 'with a primary host: its STATE online before NBIRTH and DBIRTH'),
  pass('tck-id-message-flow-edge-node-birth-publish-phid-wait-id', 'MUST', 'host', 'the STATE topic’s last level is the configured host id'),
  pass('tck-id-message-flow-edge-node-birth-publish-phid-wait-online', 'MUST', 'host', 'the STATE says online: true'),
  pass('tck-id-message-flow-edge-node-birth-publish-phid-wait-timestamp', 'MUST', 'host', 'the STATE timestamp is not older than the previous STATE'),
  pass('tck-id-message-flow-edge-node-birth-publish-will-message', 'MUST', 'edge', 'CONNECT has a will'),
  pass('tck-id-message-flow-edge-node-birth-publish-will-message-payload', 'MUST', 'edge', 'will payload is Sparkplug protobuf'),
  pass('tck-id-message-flow-edge-node-birth-publish-will-message-payload-bdSeq', 'MUST', 'edge', 'will has bdSeq, Int64, one more than the previous CONNECT, 255 wraps to 0', {
    note: 'counted per CONNECT packet sent, not per connection attempt',
  }),
  pass('tck-id-message-flow-edge-node-birth-publish-will-message-qos', 'MUST', 'edge', 'will QoS 1'),
  pass('tck-id-message-flow-edge-node-birth-publish-will-message-topic', 'MUST', 'edge', 'will topic spBv1.0/group/NDEATH/edge'),
  pass('tck-id-message-flow-edge-node-birth-publish-will-message-will-retained', 'MUST', 'edge', 'will not retained'),
  pass('tck-id-message-flow-edge-node-ncmd-subscribe', 'MUST', 'edge', 'subscribes to spBv1.0/group/NCMD/edge at QoS 1'),
  pass('tck-id-operational-behavior-data-commands-rebirth-action-1', 'MUST', 'edge', 'on a rebirth request, no more data until the births'),
  pass('tck-id-operational-behavior-data-commands-rebirth-action-2', 'MUST', 'edge', 'then a complete birth sequence: NBIRTH and every DBIRTH'),
  pass('tck-id-operational-behavior-data-commands-rebirth-action-3', 'MUST', 'edge', 'that NBIRTH repeats the bdSeq of the current will'),
  pass('tck-id-operational-behavior-data-commands-rebirth-datatype', 'MUST', 'edge', 'Node Control/Rebirth is Boolean'),
  pass('tck-id-operational-behavior-data-commands-rebirth-name', 'MUST', 'edge', 'NBIRTH has Node Control/Rebirth'),
  pass('tck-id-operational-behavior-data-commands-rebirth-name-aliases', 'MUST', 'edge', 'Node Control/Rebirth has no alias'),
  pass('tck-id-operational-behavior-data-commands-rebirth-value', 'MUST', 'edge', 'Node Control/Rebirth is false in the NBIRTH'),
  pass('tck-id-operational-behavior-data-publish-dbirth', 'MUST', 'edge', "DBIRTH has every metric the device publishes in its session", {
    note: 'a new metric ends the device’s life: DDEATH, then a DBIRTH with the whole set',
  }),
  pass('tck-id-operational-behavior-data-publish-dbirth-change', 'SHOULD', 'edge', 'DDATA only when a device metric changes'),
  pass('tck-id-operational-behavior-data-publish-dbirth-order', 'MUST', 'edge', 'non-historical metrics of a DBIRTH or DDATA in chronological order'),
  pass('tck-id-operational-behavior-data-publish-dbirth-values', 'MUST', 'edge', 'DBIRTH carries current values, or is_null without a value', {
    note: 'a value the message stream that reported it no longer carries is null',
  }),
  pass('tck-id-operational-behavior-data-publish-nbirth', 'MUST', 'edge', 'NBIRTH has every edge node metric published in the session'),
  na('tck-id-operational-behavior-data-publish-nbirth-change', 'SHOULD', 'NDATA only when an edge node metric changes', NDATA),
  pass('tck-id-operational-behavior-data-publish-nbirth-order', 'MUST', 'edge', 'non-historical metrics of an NBIRTH (or NDATA) in chronological order'),
  pass('tck-id-operational-behavior-data-publish-nbirth-values', 'MUST', 'edge', 'NBIRTH carries current values, or is_null without a value'),
  pass('tck-id-operational-behavior-device-ddeath', 'MUST', 'edge', 'DDEATH for a device the edge node lost', { note: 'envelope quality stale or comm_error' }),
  pass('tck-id-operational-behavior-edge-node-birth-sequence-wait', 'MUST', 'host', 'births wait for a STATE online'),
  pass('tck-id-operational-behavior-edge-node-intentional-disconnect-ndeath', 'MUST', 'edge', 'NDEATH published before an intentional disconnect'),
  pass('tck-id-operational-behavior-edge-node-intentional-disconnect-packet', 'MAY', 'edge', 'DISCONNECT right after that NDEATH'),
  pass('tck-id-operational-behavior-edge-node-termination-host-offline', 'MUST', 'host', 'disconnect on a STATE offline not older than the online', {
    note: 'NDEATH, then DISCONNECT (MQTT 5: reason 0x04, so the broker sends the will too)',
  }),
  pass('tck-id-operational-behavior-edge-node-termination-host-offline-reconnect', 'MUST', 'host', 'after that, connect again and start the session over', {
    note: 'the server list has one server: the same one',
  }),
  pass('tck-id-operational-behavior-edge-node-termination-host-offline-timestamp', 'MUST', 'host', 'no disconnect on an offline STATE older than the online'),
  na('tck-id-operational-behavior-host-application-connect-will-payload', 'MUST', 'host will payload', HOST_APP),
  na('tck-id-operational-behavior-host-application-host-id', 'MUST', 'host id unique', HOST_APP),
  na('tck-id-operational-behavior-primary-application-state-with-multiple-servers-single-server', 'MUST', 'with several MQTT servers, connected to one at a time', SERVERS),
  na('tck-id-operational-behavior-primary-application-state-with-multiple-servers-state-subs', 'MUST', 'with several MQTT servers, every edge node subscribes to the STATE', SERVERS),
  na('tck-id-operational-behavior-primary-application-state-with-multiple-servers-walk', 'MUST', 'with several MQTT servers, move to the next one when the host is offline', SERVERS),
  pass('tck-id-payloads-alias-birth-requirement', 'MUST', 'edge', 'a metric with an alias in NBIRTH/DBIRTH also has its name', {
    note: 'bdSeq and Node Control/Rebirth carry neither alias nor need one',
  }),
  pass('tck-id-payloads-alias-data-cmd-requirement', 'MUST', 'edge', 'DDATA metrics by alias only, no name'),
  pass('tck-id-payloads-alias-uniqueness', 'MUST', 'edge', 'aliases unique across the edge node'),
  na('tck-id-payloads-dataset-column-num-headers', 'MUST', 'DataSet columns and types of equal length', DATASET),
  na('tck-id-payloads-dataset-column-size', 'MUST', 'DataSet num_of_columns is a uint64', DATASET),
  na('tck-id-payloads-dataset-parameter-type-req', 'MUST', 'DataSet has types', DATASET),
  na('tck-id-payloads-dataset-types-def', 'MUST', 'DataSet types are uint32 datatypes', DATASET),
  na('tck-id-payloads-dataset-types-num', 'MUST', 'DataSet types and columns of equal length', DATASET),
  na('tck-id-payloads-dataset-types-type', 'MUST', 'DataSet type values are uint32', DATASET),
  na('tck-id-payloads-dataset-types-value', 'MUST', 'DataSet type values are basic datatypes', DATASET),
  pass('tck-id-payloads-dbirth-order', 'MUST', 'edge', 'the DBIRTHs right after the NBIRTH, before any DDATA', {
    note: 'every birth sequence has the DBIRTH of every live device before any DDATA; a device that appears or returns later is born before its first DDATA',
  }),
  pass('tck-id-payloads-dbirth-qos', 'MUST', 'edge', 'DBIRTH QoS 0'),
  pass('tck-id-payloads-dbirth-retain', 'MUST', 'edge', 'DBIRTH not retained'),
  pass('tck-id-payloads-dbirth-seq', 'MUST', 'edge', 'DBIRTH has seq'),
  pass('tck-id-payloads-dbirth-seq-inc', 'MUST', 'edge', 'DBIRTH seq one more than the previous, 255 wraps to 0'),
  pass('tck-id-payloads-dbirth-timestamp', 'MUST', 'edge', 'DBIRTH has the time it was published'),
  pass('tck-id-payloads-ddata-order', 'MUST', 'edge', 'no DDATA before the NBIRTH and DBIRTHs'),
  pass('tck-id-payloads-ddata-qos', 'MUST', 'edge', 'DDATA QoS 0'),
  pass('tck-id-payloads-ddata-retain', 'MUST', 'edge', 'DDATA not retained'),
  pass('tck-id-payloads-ddata-seq', 'MUST', 'edge', 'DDATA has seq'),
  pass('tck-id-payloads-ddata-seq-inc', 'MUST', 'edge', 'DDATA seq one more than the previous, 255 wraps to 0'),
  pass('tck-id-payloads-ddata-timestamp', 'MUST', 'edge', 'DDATA has the time it was published'),
  pass('tck-id-payloads-ddeath-seq', 'MUST', 'edge', 'DDEATH has seq'),
  pass('tck-id-payloads-ddeath-seq-inc', 'MUST', 'edge', 'DDEATH seq one more than the previous, 255 wraps to 0'),
  pass('tck-id-payloads-ddeath-seq-number', 'MUST', 'edge', 'DDEATH has seq'),
  pass('tck-id-payloads-ddeath-timestamp', 'MUST', 'edge', 'DDEATH has the time it was published'),
  pass('tck-id-payloads-metric-datatype-not-req', 'SHOULD', 'edge', 'no datatype in DDATA metrics'),
  pass('tck-id-payloads-metric-datatype-req', 'MUST', 'edge', 'datatype on every NBIRTH and DBIRTH metric'),
  pass('tck-id-payloads-metric-datatype-value', 'MUST', 'edge', 'datatype is a Sparkplug datatype'),
  pass('tck-id-payloads-metric-datatype-value-type', 'MUST', 'edge', 'datatype is a uint32'),
  pass('tck-id-payloads-metric-propertyvalue-type-req', 'MUST', 'edge', 'property values in births have a type', { note: 'the engUnit property' }),
  pass('tck-id-payloads-metric-propertyvalue-type-type', 'MUST', 'edge', 'property value type is a uint32'),
  pass('tck-id-payloads-metric-propertyvalue-type-value', 'MUST', 'edge', 'property value type is a Sparkplug datatype'),
  pass('tck-id-payloads-metric-timestamp-in-UTC', 'MUST', 'edge', 'metric timestamps are UTC ms since the epoch'),
  pass('tck-id-payloads-name-birth-data-requirement', 'MUST', 'edge', 'timestamp on every metric of NBIRTH, DBIRTH and DDATA'),
  pass('tck-id-payloads-name-requirement', 'MUST', 'edge', 'a name on every metric that has no alias'),
  pass('tck-id-payloads-nbirth-bdseq', 'MUST', 'edge', 'NBIRTH has bdSeq'),
  pass('tck-id-payloads-nbirth-bdseq-repeat', 'MUST', 'edge', "NBIRTH bdSeq equals the CONNECT will's"),
  pass('tck-id-payloads-nbirth-edge-node-descriptor', 'MUST', 'edge', 'edge node descriptor unique', {
    note: 'as tck-id-intro-edge-node-id-uniqueness',
  }),
  pass('tck-id-payloads-nbirth-qos', 'MUST', 'edge', 'NBIRTH QoS 0'),
  pass('tck-id-payloads-nbirth-rebirth-req', 'MUST', 'edge', 'NBIRTH has Node Control/Rebirth = false'),
  pass('tck-id-payloads-nbirth-retain', 'MUST', 'edge', 'NBIRTH not retained'),
  pass('tck-id-payloads-nbirth-seq', 'MUST', 'edge', 'NBIRTH has seq 0-255'),
  pass('tck-id-payloads-nbirth-timestamp', 'MUST', 'edge', 'NBIRTH has the time it was published'),
  na('tck-id-payloads-ndata-order', 'MUST', 'no NDATA before the NBIRTH and DBIRTHs', NDATA),
  na('tck-id-payloads-ndata-qos', 'MUST', 'NDATA QoS 0', NDATA),
  na('tck-id-payloads-ndata-retain', 'MUST', 'NDATA not retained', NDATA),
  na('tck-id-payloads-ndata-seq', 'MUST', 'NDATA has seq', NDATA),
  na('tck-id-payloads-ndata-seq-inc', 'MUST', 'NDATA seq one more than the previous', NDATA),
  na('tck-id-payloads-ndata-timestamp', 'MUST', 'NDATA has the time it was published', NDATA),
  pass('tck-id-payloads-ndeath-bdseq', 'MUST', 'edge', 'NDEATH bdSeq equals the NBIRTH’s'),
  pass('tck-id-payloads-ndeath-seq', 'MUST', 'edge', 'NDEATH has no seq'),
  pass('tck-id-payloads-ndeath-will-message', 'MUST', 'edge', 'NDEATH is the CONNECT’s will'),
  pass('tck-id-payloads-ndeath-will-message-publisher', 'SHOULD', 'edge', 'NDEATH published by the edge node before an intentional disconnect'),
  pass('tck-id-payloads-ndeath-will-message-publisher-disconnect-mqtt311', 'MUST', 'edge', 'MQTT 3.1.1: NDEATH published before DISCONNECT', { version: 4 }),
  pass('tck-id-payloads-ndeath-will-message-publisher-disconnect-mqtt50', 'MUST', 'edge', 'MQTT 5: DISCONNECT with reason 0x04, Disconnect with Will Message', { version: 5 }),
  pass('tck-id-payloads-ndeath-will-message-qos', 'MUST', 'edge', 'will QoS 1'),
  pass('tck-id-payloads-ndeath-will-message-retain', 'MUST', 'edge', 'will not retained'),
  pass('tck-id-payloads-propertyset-keys-array-size', 'MUST', 'edge', 'PropertySet keys and values of equal length'),
  na('tck-id-payloads-propertyset-quality-value-type', 'MUST', 'Quality property of type Int32', QUALITY),
  na('tck-id-payloads-propertyset-quality-value-value', 'MUST', 'Quality property 0, 192 or 500', QUALITY),
  pass('tck-id-payloads-propertyset-values-array-size', 'MUST', 'edge', 'PropertySet values and keys of equal length'),
  pass('tck-id-payloads-sequence-num-always-included', 'MUST', 'edge', 'seq in every message but NDEATH'),
  pass('tck-id-payloads-sequence-num-incrementing', 'MUST', 'edge', 'seq +1 per message after the NBIRTH, 255 wraps to 0'),
  pass('tck-id-payloads-sequence-num-req-nbirth', 'MUST', 'edge', 'NBIRTH seq 0-255'),
  na('tck-id-payloads-state-birth-payload', 'MUST', 'host STATE birth payload', HOST_APP),
  na('tck-id-payloads-state-will-message-payload', 'MUST', 'host STATE will payload', HOST_APP),
  na('tck-id-payloads-template-dataset-value', 'MUST', 'template DataSet values', TEMPLATE),
  na('tck-id-payloads-template-definition-is-definition', 'MUST', 'template definition is_definition', TEMPLATE),
  na('tck-id-payloads-template-definition-members', 'MUST', 'template definition members', TEMPLATE),
  na('tck-id-payloads-template-definition-nbirth', 'MUST', 'template definitions in the NBIRTH', TEMPLATE),
  na('tck-id-payloads-template-definition-nbirth-only', 'MUST', 'template definitions only in the NBIRTH', TEMPLATE),
  na('tck-id-payloads-template-definition-parameters', 'MUST', 'template definition parameters', TEMPLATE),
  na('tck-id-payloads-template-definition-parameters-default', 'MAY', 'template parameter defaults', TEMPLATE),
  na('tck-id-payloads-template-definition-ref', 'MUST', 'template definition without template_ref', TEMPLATE),
  na('tck-id-payloads-template-instance-is-definition', 'MUST', 'template instance is_definition false', TEMPLATE),
  na('tck-id-payloads-template-instance-members', 'MUST', 'template instance members', TEMPLATE),
  na('tck-id-payloads-template-instance-members-birth', 'MUST', 'template instance members in births', TEMPLATE),
  na('tck-id-payloads-template-instance-members-data', 'MAY', 'template instance members in data', TEMPLATE),
  na('tck-id-payloads-template-instance-parameters', 'MAY', 'template instance parameters', TEMPLATE),
  na('tck-id-payloads-template-instance-ref', 'MUST', 'template instance template_ref', TEMPLATE),
  na('tck-id-payloads-template-is-definition', 'MUST', 'template is_definition present', TEMPLATE),
  na('tck-id-payloads-template-is-definition-definition', 'MUST', 'template definition is_definition true', TEMPLATE),
  na('tck-id-payloads-template-is-definition-instance', 'MUST', 'template instance is_definition false', TEMPLATE),
  na('tck-id-payloads-template-parameter-name-required', 'MUST', 'template parameter name', TEMPLATE),
  na('tck-id-payloads-template-parameter-name-type', 'MUST', 'template parameter name is UTF-8', TEMPLATE),
  na('tck-id-payloads-template-parameter-type-req', 'MUST', 'template parameter type', TEMPLATE),
  na('tck-id-payloads-template-parameter-type-value', 'MUST', 'template parameter type value', TEMPLATE),
  na('tck-id-payloads-template-parameter-value', 'MUST', 'template parameter value', TEMPLATE),
  na('tck-id-payloads-template-parameter-value-type', 'MUST', 'template parameter value type', TEMPLATE),
  na('tck-id-payloads-template-ref-definition', 'MUST', 'template_ref omitted in a definition', TEMPLATE),
  na('tck-id-payloads-template-ref-instance', 'MUST', 'template_ref in an instance', TEMPLATE),
  na('tck-id-payloads-template-version', 'MUST', 'template version is UTF-8', TEMPLATE),
  pass('tck-id-payloads-timestamp-in-UTC', 'MUST', 'edge', 'payload timestamps are UTC ms since the epoch'),
  pass('tck-id-principles-birth-certificates-order', 'MUST', 'edge', 'the NBIRTH is the first message published on every connection'),
  pass('tck-id-principles-persistence-clean-session-311', 'MUST', 'edge', 'MQTT 3.1.1: CONNECT with Clean Session', { version: 4 }),
  pass('tck-id-principles-persistence-clean-session-50', 'MUST', 'edge', 'MQTT 5: CONNECT with Clean Start and Session Expiry Interval 0', { version: 5 }),
  pass('tck-id-principles-rbe-recommended', 'SHOULD', 'edge', 'data by exception, not periodically'),
  pass('tck-id-topic-structure', 'MUST', 'edge', 'topics spBv1.0/group/type/edge[/device]'),
  pass('tck-id-topic-structure-namespace-a', 'MUST', 'edge', 'namespace spBv1.0'),
  pass('tck-id-topic-structure-namespace-device-id-associated-message-types', 'MUST', 'edge', 'device id in DBIRTH, DDEATH, DDATA topics'),
  pass('tck-id-topic-structure-namespace-device-id-non-associated-message-types', 'MUST', 'edge', 'no device id in NBIRTH, NDEATH, NCMD topics'),
  pass('tck-id-topic-structure-namespace-duplicate-device-id-across-edge-node', 'MAY', 'edge', 'the same device id under two edge nodes'),
  pass('tck-id-topic-structure-namespace-unique-device-id', 'MUST', 'edge', 'device ids unique within the edge node', {
    note: 'one DBIRTH per device life (the TCK monitor counts a second one as a second device)',
  }),
  pass('tck-id-topic-structure-namespace-unique-edge-node-descriptor', 'MUST', 'edge', 'group/edge descriptor unique', {
    note: 'as tck-id-intro-edge-node-id-uniqueness',
  }),
  pass('tck-id-topic-structure-namespace-valid-device-id', 'MUST', 'edge', 'device id without `+`, `/`, `#`'),
  pass('tck-id-topic-structure-namespace-valid-edge-node-id', 'MUST', 'edge', 'edge node id without `+`, `/`, `#`'),
  pass('tck-id-topic-structure-namespace-valid-group-id', 'MUST', 'edge', 'group id without `+`, `/`, `#`'),
  pass('tck-id-topics-dbirth-metric-reqs', 'MUST', 'edge', 'every metric a DDATA carries is in the DBIRTH'),
  pass('tck-id-topics-dbirth-metrics', 'MUST', 'edge', 'DBIRTH metrics have name, datatype and current value'),
  pass('tck-id-topics-dbirth-mqtt', 'MUST', 'edge', 'DBIRTH QoS 0, not retained'),
  pass('tck-id-topics-dbirth-seq', 'MUST', 'edge', 'DBIRTH seq one more than the previous message'),
  pass('tck-id-topics-dbirth-timestamp', 'MUST', 'edge', 'DBIRTH has the time it was sent'),
  pass('tck-id-topics-dbirth-topic', 'MUST', 'edge', 'DBIRTH topic spBv1.0/group/DBIRTH/edge/device'),
  pass('tck-id-topics-ddata-mqtt', 'MUST', 'edge', 'DDATA QoS 0, not retained'),
  pass('tck-id-topics-ddata-payload', 'MUST', 'edge', 'DDATA has the metrics that changed since the DBIRTH or last DDATA'),
  pass('tck-id-topics-ddata-seq-num', 'MUST', 'edge', 'DDATA seq one more than the previous message'),
  pass('tck-id-topics-ddata-timestamp', 'MUST', 'edge', 'DDATA has the time it was sent'),
  pass('tck-id-topics-ddata-topic', 'MUST', 'edge', 'DDATA topic spBv1.0/group/DDATA/edge/device'),
  pass('tck-id-topics-ddeath-mqtt', 'MUST', 'edge', 'DDEATH QoS 0, not retained'),
  pass('tck-id-topics-ddeath-seq-num', 'MUST', 'edge', 'DDEATH seq one more than the previous message'),
  pass('tck-id-topics-ddeath-topic', 'MUST', 'edge', 'DDEATH topic spBv1.0/group/DDEATH/edge/device'),
  pass('tck-id-topics-nbirth-bdseq-included', 'MUST', 'edge', 'NBIRTH has bdSeq'),
  pass('tck-id-topics-nbirth-bdseq-increment', 'MUST', 'edge', 'bdSeq starts at 0, +1 per CONNECT packet', {
    note: 'refused connection attempts do not count; across Node-RED restarts only with a persistent bdSeq store',
  }),
  pass('tck-id-topics-nbirth-bdseq-matching', 'MUST', 'edge', "NBIRTH bdSeq equals the CONNECT will's"),
  pass('tck-id-topics-nbirth-metric-reqs', 'MUST', 'edge', 'NBIRTH has every edge node metric'),
  pass('tck-id-topics-nbirth-metrics', 'MUST', 'edge', 'NBIRTH metrics have name, datatype and current value'),
  pass('tck-id-topics-nbirth-mqtt', 'MUST', 'edge', 'NBIRTH QoS 0, not retained'),
  pass('tck-id-topics-nbirth-rebirth-metric', 'MUST', 'edge', 'NBIRTH has Node Control/Rebirth, Boolean, false'),
  pass('tck-id-topics-nbirth-seq-num', 'MUST', 'edge', 'NBIRTH seq 0'),
  na('tck-id-topics-nbirth-templates', 'MUST', 'template definitions in the NBIRTH', TEMPLATE),
  pass('tck-id-topics-nbirth-timestamp', 'MUST', 'edge', 'NBIRTH has the time it was sent'),
  pass('tck-id-topics-nbirth-topic', 'MUST', 'edge', 'NBIRTH topic spBv1.0/group/NBIRTH/edge'),
  na('tck-id-topics-ndata-mqtt', 'MUST', 'NDATA QoS 0, not retained', NDATA),
  na('tck-id-topics-ndata-payload', 'MUST', 'NDATA has the changed metrics', NDATA),
  na('tck-id-topics-ndata-seq-num', 'MUST', 'NDATA seq one more than the previous message', NDATA),
  na('tck-id-topics-ndata-timestamp', 'MUST', 'NDATA has the time it was sent', NDATA),
  na('tck-id-topics-ndata-topic', 'MUST', 'NDATA topic spBv1.0/group/NDATA/edge', NDATA),
  pass('tck-id-topics-ndeath-payload', 'MUST', 'edge', 'NDEATH has one metric, bdSeq'),
  pass('tck-id-topics-ndeath-seq', 'MUST', 'edge', 'NDEATH has no seq'),
  pass('tck-id-topics-ndeath-topic', 'MUST', 'edge', 'NDEATH topic spBv1.0/group/NDEATH/edge'),
];

/** the statements a suite checks under one MQTT version */
export function statementsFor(suite: Suite, version: 4 | 5): Statement[] {
  return STATEMENTS.filter((s) => s.result === 'pass' && s.suite === suite && (s.version === undefined || s.version === version));
}

// ---- views of a recording ----

const proto = tahu.org.eclipse.tahu.protobuf;
export type RawPayload = tahu.org.eclipse.tahu.protobuf.Payload;
export type RawMetric = tahu.org.eclipse.tahu.protobuf.Payload.IMetric;
export const DataType = proto.DataType;

/** proto2 presence: a field is there when it was on the wire (what the TCK's hasX() asks) */
export function has(message: object | null | undefined, field: string): boolean {
  return message !== null && message !== undefined && Object.prototype.hasOwnProperty.call(message, field);
}

export function num(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'object' && value !== null && typeof (value as { toNumber?: unknown }).toNumber === 'function') return (value as { toNumber(): number }).toNumber();
  return NaN;
}

export function decodeRaw(bytes: Uint8Array | string): RawPayload | undefined {
  try {
    return proto.Payload.decode(typeof bytes === 'string' ? Buffer.from(bytes) : bytes);
  } catch {
    return undefined;
  }
}

/** the value field a datatype uses, as the TCK's Utils.hasValue() reads it */
const VALUE_FIELD: Record<number, string> = {
  1: 'intValue',
  2: 'intValue',
  3: 'intValue',
  5: 'intValue',
  6: 'intValue',
  4: 'longValue',
  7: 'longValue',
  8: 'longValue',
  13: 'longValue',
  9: 'floatValue',
  10: 'doubleValue',
  11: 'booleanValue',
  12: 'stringValue',
  14: 'stringValue',
  15: 'stringValue',
};
const ALL_VALUE_FIELDS = ['intValue', 'longValue', 'floatValue', 'doubleValue', 'booleanValue', 'stringValue', 'bytesValue', 'datasetValue', 'templateValue', 'extensionValue'];

/** a value of its datatype, or is_null with no value field at all */
export function hasValueOrNull(m: RawMetric): boolean {
  if (m.isNull === true) return ALL_VALUE_FIELDS.every((f) => !has(m, f));
  const field = VALUE_FIELD[m.datatype ?? 0];
  return field !== undefined && has(m, field);
}

/** the value, whichever field carries it; null for is_null */
export function valueOf(m: RawMetric): unknown {
  if (m.isNull === true) return null;
  for (const f of ALL_VALUE_FIELDS) if (has(m, f)) return f === 'longValue' ? num(m.longValue) : (m as Record<string, unknown>)[f];
  return undefined;
}

export interface SpMessage {
  /** position in the recording: ordering across connections and directions */
  index: number;
  at: number;
  conn: number;
  topic: string;
  levels: string[];
  type: string;
  group: string;
  edge: string;
  device?: string;
  qos: number;
  retain: boolean;
  /** the Sparkplug payload; undefined when it is not one (a STATE is JSON: see `raw`) */
  payload: RawPayload | undefined;
  raw: Buffer;
}

export function spMessage(r: { at: number; conn: number }, p: IPublishPacket, index: number): SpMessage {
  const levels = p.topic.split('/');
  return {
    index,
    at: r.at,
    conn: r.conn,
    topic: p.topic,
    levels,
    type: levels[2] ?? '',
    group: levels[1] ?? '',
    edge: levels[3] ?? '',
    device: levels[4],
    qos: p.qos,
    retain: p.retain,
    payload: decodeRaw(p.payload),
    raw: typeof p.payload === 'string' ? Buffer.from(p.payload) : p.payload,
  };
}

/** One MQTT connection of an edge node, as the broker saw it. */
export interface Session {
  conn: number;
  connect: IConnectPacket;
  connectIndex: number;
  connectAt: number;
  connack?: { index: number; packet: IConnackPacket };
  subscribes: Array<{ index: number; packet: ISubscribePacket }>;
  /** what the edge node published on it, in order */
  published: SpMessage[];
  /** what the broker delivered to it (NCMD, STATE) */
  delivered: SpMessage[];
  disconnect?: { index: number; packet: IDisconnectPacket };
  closedAt?: number;
}

/** The connections whose CONNECT carries the will of spBv1.0/<group>/NDEATH/<edge>, in order. */
export function sessionsOf(packets: readonly RecordedPacket[], closes: ReadonlyArray<{ at: number; conn: number }>, group: string, edge: string): Session[] {
  const will = `spBv1.0/${group}/NDEATH/${edge}`;
  const sessions = new Map<number, Session>();
  packets.forEach((r, index) => {
    const p = r.packet;
    if (p.cmd === 'connect' && r.dir === 'up') {
      if (p.will?.topic === will) sessions.set(r.conn, { conn: r.conn, connect: p, connectIndex: index, connectAt: r.at, subscribes: [], published: [], delivered: [] });
      return;
    }
    const s = sessions.get(r.conn);
    if (!s) return;
    if (p.cmd === 'connack') s.connack = { index, packet: p };
    else if (p.cmd === 'subscribe') s.subscribes.push({ index, packet: p });
    else if (p.cmd === 'publish') (r.dir === 'up' ? s.published : s.delivered).push(spMessage(r, p, index));
    else if (p.cmd === 'disconnect' && r.dir === 'up') s.disconnect = { index, packet: p };
  });
  for (const c of closes) {
    const s = sessions.get(c.conn);
    if (s) s.closedAt = c.at;
  }
  return [...sessions.values()].sort((a, b) => a.conn - b.conn);
}

export function willBdSeq(s: Session): number | undefined {
  const payload = s.connect.will ? decodeRaw(s.connect.will.payload) : undefined;
  const bd = payload?.metrics.find((m) => m.name === 'bdSeq');
  return bd && has(bd, 'longValue') ? num(bd.longValue) : undefined;
}

export function bdSeqOf(m: SpMessage): number | undefined {
  const bd = m.payload?.metrics.find((x) => x.name === 'bdSeq');
  return bd && has(bd, 'longValue') ? num(bd.longValue) : undefined;
}

/** the alias -> name map a host builds from the births it has seen */
export function aliasNames(messages: readonly SpMessage[]): Map<number, string> {
  const map = new Map<number, string>();
  for (const m of messages) {
    if (m.type !== 'NBIRTH' && m.type !== 'DBIRTH') continue;
    for (const x of m.payload?.metrics ?? []) if (has(x, 'alias') && x.name) map.set(num(x.alias), x.name);
  }
  return map;
}
