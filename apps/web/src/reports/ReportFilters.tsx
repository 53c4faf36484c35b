import type { ReportParameter } from '../api/types';
import { DATE_PRESETS, type DatePreset } from './date-presets';

/** Suggestions from the event contract; any value can still be typed. */
const SUGGESTIONS: Record<string, string[]> = {
  channel: ['email', 'sms', 'push', 'voice', 'chat', 'social', 'web'],
  message_type: ['email', 'sms', 'push', 'voice', 'chat', 'social', 'web'],
  platform: ['ios', 'android', 'web', 'facebook', 'twitter', 'whatsapp'],
};

const LABELS: Record<string, string> = {
  tz: 'Time zone',
  group_by: 'Group by',
  message_type: 'Message type',
  org_unit: 'School / interface',
  group: 'Newsgroup',
  week_start: 'Week starts',
  attribution_days: 'Attribution days',
  school_year_start: 'School year starts (month)',
  cohort_by: 'Cohort by',
};

// Handled elsewhere: tenant in the header, from/to by the date range.
const NOT_FIELDS = new Set(['tenant', 'from', 'to']);
const TIME_ZONES = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : [];

export interface FilterValues {
  range: DatePreset;
  from: string;
  to: string;
  [param: string]: string;
}

interface Props {
  parameters: ReportParameter[];
  values: FilterValues;
  /** The zone the report used, shown when the time zone field is empty. */
  zone: string;
  onChange: (name: string, value: string) => void;
}

export function ReportFilters({ parameters, values, zone, onChange }: Props) {
  const fields = parameters.filter((p) => !NOT_FIELDS.has(p.name));
  return (
    <form className="filters" aria-label="Filters" onSubmit={(e) => e.preventDefault()}>
      <label>
        <span>Date range</span>
        <select name="range" value={values.range} onChange={(e) => onChange('range', e.target.value)}>
          {DATE_PRESETS.map((p) => (
            <option key={p.id} value={p.id}>
              {p.label}
            </option>
          ))}
        </select>
      </label>
      <label>
        <span>From</span>
        <input type="date" name="from" value={values.from} onChange={(e) => onChange('from', e.target.value)} />
      </label>
      <label>
        <span>To (exclusive)</span>
        <input type="date" name="to" value={values.to} onChange={(e) => onChange('to', e.target.value)} />
      </label>
      {fields.map((p) => (
        <Field key={p.name} parameter={p} value={values[p.name] ?? ''} zone={zone} onChange={onChange} />
      ))}
      <datalist id="time-zones">
        {TIME_ZONES.map((z) => (
          <option key={z} value={z} />
        ))}
      </datalist>
    </form>
  );
}

function Field({
  parameter: p,
  value,
  zone,
  onChange,
}: {
  parameter: ReportParameter;
  value: string;
  zone: string;
  onChange: Props['onChange'];
}) {
  const label = LABELS[p.name] ?? p.name.charAt(0).toUpperCase() + p.name.slice(1);
  const title = p.description;
  if (p.enum) {
    return (
      <label title={title}>
        <span>{label}</span>
        <select name={p.name} value={value} onChange={(e) => onChange(p.name, e.target.value)}>
          <option value="">{p.default !== undefined ? `${p.default} (default)` : 'none'}</option>
          {p.enum
            .filter((v) => v !== p.default)
            .map((v) => (
              <option key={v} value={v}>
                {v}
              </option>
            ))}
        </select>
      </label>
    );
  }
  const list = p.name === 'tz' ? 'time-zones' : SUGGESTIONS[p.name] ? `${p.name}-values` : undefined;
  return (
    <label title={title}>
      <span>{label}</span>
      <input
        name={p.name}
        type={p.type === 'integer' || p.type === 'number' ? 'number' : 'text'}
        value={value}
        list={list}
        placeholder={p.name === 'tz' ? zone || "tenant's zone" : p.default !== undefined ? String(p.default) : 'all'}
        onChange={(e) => onChange(p.name, e.target.value)}
      />
      {SUGGESTIONS[p.name] && (
        <datalist id={`${p.name}-values`}>
          {SUGGESTIONS[p.name].map((v) => (
            <option key={v} value={v} />
          ))}
        </datalist>
      )}
    </label>
  );
}
