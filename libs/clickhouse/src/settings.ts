/**
 * Per-call settings are rendered into the statement's own SETTINGS clause.
 *
 * Why not `clickhouse_settings`: on the embedded engine `chdb/connection` turns
 * them into session-wide `SET`s that outlive the call (a dedup token silently
 * dropped a later insert; `readonly=1` made the process read-only for good).
 * A SETTINGS clause applies to its statement only, on both engines.
 */
/** A Map-typed setting such as additional_table_filters: {'key': 'value', ...}. */
export interface SettingMap {
  map: Record<string, string>;
}
export type SettingValue = string | number | boolean | SettingMap;
export type CallSettings = Record<string, SettingValue | undefined>;

const SETTING_NAME = /^[a-z_][a-z0-9_]*$/;

export function renderSettings(settings: CallSettings | undefined): string {
  if (!settings) return '';
  const parts: string[] = [];
  // readonly goes last: once it is set, the engine refuses to change any setting after it.
  const entries = Object.entries(settings).sort(([a], [b]) => Number(a === 'readonly') - Number(b === 'readonly'));
  for (const [name, value] of entries) {
    if (value === undefined) continue;
    if (!SETTING_NAME.test(name)) throw new Error(`Invalid setting name: ${JSON.stringify(name)}`);
    parts.push(`${name} = ${renderValue(value)}`);
  }
  return parts.length ? `SETTINGS ${parts.join(', ')}` : '';
}

function renderValue(value: SettingValue): string {
  if (typeof value === 'boolean') return value ? '1' : '0';
  if (typeof value === 'object') {
    const pairs = Object.entries(value.map).map(([k, v]) => `${quote(k)}: ${quote(v)}`);
    return `{${pairs.join(', ')}}`;
  }
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`Invalid setting value: ${value}`);
    return String(value);
  }
  return quote(value);
}

function quote(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** Appends a SETTINGS clause to a SELECT (or INSERT ... SELECT) statement. */
export function withSettings(sql: string, settings: CallSettings | undefined): string {
  const clause = renderSettings(settings);
  const body = sql.trim().replace(/;+\s*$/, '');
  return clause ? `${body}\n${clause}` : body;
}
