/**
 * Home Assistant's MQTT discovery schema as documented, for the tests of the uplink's Home Assistant mode:
 * - topic `<discovery_prefix>/<component>/[<node_id>/]<object_id>/config`, ids of `[a-zA-Z0-9_-]`
 *   (https://www.home-assistant.io/integrations/mqtt/#discovery-topic);
 * - required keys per component: sensor and binary_sensor `state_topic`, switch `command_topic`
 *   (https://www.home-assistant.io/integrations/sensor.mqtt/, binary_sensor.mqtt/, switch.mqtt/); a `device` needs
 *   `identifiers` or `connections`, and entities with a device need a `unique_id`;
 * - the device class / unit and device class / state class pairs Home Assistant accepts: core
 *   homeassistant/components/sensor/const.py `DEVICE_CLASS_UNITS`, `DEVICE_CLASS_STATE_CLASSES`
 *   (https://developers.home-assistant.io/docs/core/entity/sensor/#available-device-classes);
 * - `entity_category` `config` or `diagnostic`, and a sensor cannot be `config`
 *   (https://developers.home-assistant.io/docs/core/entity/#generic-properties);
 * - binary sensor device classes (https://www.home-assistant.io/integrations/binary_sensor/#device-class).
 */

/** DEVICE_CLASS_UNITS, for the device classes an electrical installation uses */
export const DEVICE_CLASS_UNITS: { [deviceClass: string]: readonly (string | null)[] } = {
  voltage: ['µV', 'mV', 'V', 'kV', 'MV'],
  current: ['mA', 'A'],
  power: ['mW', 'W', 'kW', 'MW', 'GW', 'TW'],
  battery: ['%'],
  temperature: ['°C', '°F', 'K'],
  duration: ['d', 'h', 'min', 's', 'ms', 'µs'],
  frequency: ['Hz', 'kHz', 'MHz', 'GHz'],
  energy: ['J', 'kJ', 'MJ', 'GJ', 'mWh', 'Wh', 'kWh', 'MWh', 'GWh', 'TWh', 'cal', 'kcal', 'Mcal', 'Gcal'],
  power_factor: ['%', null],
};

/** DEVICE_CLASS_STATE_CLASSES for the same device classes */
export const DEVICE_CLASS_STATE_CLASSES: { [deviceClass: string]: readonly string[] } = {
  voltage: ['measurement'],
  current: ['measurement'],
  power: ['measurement'],
  battery: ['measurement'],
  temperature: ['measurement'],
  duration: ['measurement', 'total', 'total_increasing'],
  frequency: ['measurement'],
  energy: ['total', 'total_increasing'],
  power_factor: ['measurement'],
};

export const STATE_CLASSES = ['measurement', 'measurement_angle', 'total', 'total_increasing'];

export const BINARY_SENSOR_CLASSES = [
  'battery', 'battery_charging', 'carbon_monoxide', 'cold', 'connectivity', 'door', 'garage_door', 'gas', 'heat', 'light', 'lock',
  'moisture', 'motion', 'moving', 'occupancy', 'opening', 'plug', 'power', 'presence', 'problem', 'running', 'safety', 'smoke',
  'sound', 'tamper', 'update', 'vibration', 'window',
];

const REQUIRED: { [component: string]: readonly string[] } = {
  sensor: ['state_topic'],
  binary_sensor: ['state_topic'],
  switch: ['command_topic'],
};

const MQTT_TOPIC = /^[^+#\u0000]+$/;

/** Every way a discovery message breaks the documented schema; empty when it is valid. */
export function discoveryProblems(topic: string, config: Record<string, unknown>, prefix = 'homeassistant'): string[] {
  const problems: string[] = [];
  const levels = topic.split('/');
  if (levels[0] !== prefix || levels[levels.length - 1] !== 'config' || levels.length < 4 || levels.length > 5) problems.push(`topic ${topic} is not <prefix>/<component>/[<node_id>/]<object_id>/config`);
  const component = levels[1];
  for (const id of levels.slice(2, -1)) if (!/^[a-zA-Z0-9_-]+$/.test(id)) problems.push(`id level ${id} has characters outside [a-zA-Z0-9_-]`);
  const required = REQUIRED[component];
  if (!required) problems.push(`component ${component} is not one this package publishes`);
  for (const key of required ?? []) if (typeof config[key] !== 'string' || !MQTT_TOPIC.test(config[key] as string)) problems.push(`${key} missing or not a topic`);
  for (const key of ['state_topic', 'json_attributes_topic', 'command_topic']) {
    if (config[key] !== undefined && (typeof config[key] !== 'string' || !MQTT_TOPIC.test(config[key] as string))) problems.push(`${key} is not a topic name`);
  }
  const device = config.device as Record<string, unknown> | undefined;
  if (device !== undefined) {
    const ids = device.identifiers;
    if (!(Array.isArray(ids) && ids.length > 0 && ids.every((i) => typeof i === 'string' && i.length > 0)) && device.connections === undefined) problems.push('device without identifiers');
    if (typeof config.unique_id !== 'string' || config.unique_id === '') problems.push('an entity with a device needs a unique_id');
  }
  const deviceClass = config.device_class as string | undefined;
  const unit = config.unit_of_measurement as string | undefined;
  const stateClass = config.state_class as string | undefined;
  if (component === 'sensor' && deviceClass !== undefined) {
    const units = DEVICE_CLASS_UNITS[deviceClass];
    if (!units) problems.push(`sensor device_class ${deviceClass} unknown to this table`);
    else if (!units.includes(unit ?? null)) problems.push(`unit ${String(unit)} not allowed for device_class ${deviceClass}`);
    const states = DEVICE_CLASS_STATE_CLASSES[deviceClass];
    if (stateClass !== undefined && states && !states.includes(stateClass)) problems.push(`state_class ${stateClass} not allowed for device_class ${deviceClass}`);
  }
  if (stateClass !== undefined && !STATE_CLASSES.includes(stateClass)) problems.push(`state_class ${stateClass} unknown`);
  if (component === 'binary_sensor' && deviceClass !== undefined && !BINARY_SENSOR_CLASSES.includes(deviceClass)) problems.push(`binary_sensor device_class ${deviceClass} unknown`);
  if (component !== 'sensor' && (unit !== undefined || stateClass !== undefined)) problems.push(`${component} has a unit or state class`);
  const category = config.entity_category;
  if (category !== undefined && category !== 'diagnostic' && category !== 'config') problems.push(`entity_category ${String(category)}`);
  if (component === 'sensor' && category === 'config') problems.push('a sensor cannot be entity_category config');
  const precision = config.suggested_display_precision;
  if (precision !== undefined && !(Number.isInteger(precision) && (precision as number) >= 0)) problems.push('suggested_display_precision is not an integer >= 0');
  if (precision !== undefined && stateClass === undefined && unit === undefined) problems.push('suggested_display_precision on a non-numeric sensor');
  const availability = config.availability;
  if (availability !== undefined) {
    if (!Array.isArray(availability) || availability.some((a) => typeof (a as { topic?: unknown }).topic !== 'string')) problems.push('availability entries need a topic');
    if (config.availability_mode !== undefined && !['all', 'any', 'latest'].includes(config.availability_mode as string)) problems.push('availability_mode');
  }
  return problems;
}

/** The key a `{{ value_json.key }}` or `{{ 'ON' if value_json.key else 'OFF' }}` template reads. */
export function templateKey(template: unknown): string | undefined {
  const m = typeof template === 'string' ? /value_json\.([a-z0-9_]+)/.exec(template) : null;
  return m ? m[1] : undefined;
}
