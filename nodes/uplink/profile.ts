/**
 * What the connection needs from a publishing scheme (plain JSON or Sparkplug B). A profile is pure: it turns
 * inputs into items, items into MQTT packets, and says what to publish on connect (births), as the will, and on
 * a clean close. The connection owns the socket, the buffer and the retries.
 */
import type { UplinkInput } from './input';

export interface Packet {
  topic: string;
  payload: Buffer;
  qos: 0 | 1;
  retain: boolean;
}

/**
 * What a message on a subscribed topic means for the session (Sparkplug primary host STATE): `announce` lets the
 * births go out, `end` ends a born session (farewell, DISCONNECT, reconnect and wait), `hold` keeps waiting,
 * `ignore` changes nothing. `error` says why a payload was not understood.
 */
export interface SessionSignal {
  action: 'announce' | 'end' | 'hold' | 'ignore';
  error?: string;
}

export interface UplinkProfile<T> {
  /** the MQTT will for the next CONNECT; called exactly once per CONNECT packet, once the transport is up */
  will(now: number): Packet;
  /** topics to subscribe to before the births go out */
  subscriptions(): string[];
  /** what goes out first on every (re)connect, before anything buffered */
  births(now: number): Packet[];
  /** updates the profile's state from one input; `online` tells whether the items will be rendered right away */
  accept(input: UplinkInput, online: boolean, now: number): T[];
  /** the packets of one item; `replay` is true for items buffered while disconnected */
  render(item: T, replay: boolean, now: number): Packet[];
  /** the connection was lost: nothing is born any more */
  disconnected(): void;
  /** published before a clean DISCONNECT */
  farewell(now: number): Packet[];
  /**
   * true: under MQTT 5 the DISCONNECT carries reason code 0x04 "Disconnect with Will Message", so the broker
   * delivers the will too (Sparkplug requires it); otherwise, and under MQTT 3.1.1, a clean DISCONNECT drops it
   */
  disconnectWithWill?(): boolean;
  /** a message arrived on a subscribed topic; returns what to publish in reply */
  command(topic: string, payload: Buffer, now: number): Packet[];
  /** true: after each CONNECT the births wait until `session` says `announce` */
  holdsBirths?(): boolean;
  /** a message that opens or ends the session, or undefined when the topic is not such a one */
  session?(topic: string, payload: Buffer, now: number): SessionSignal | undefined;
  /** false: items accepted while not online are not worth keeping (the next births carry the latest values) */
  buffering?(): boolean;
}
