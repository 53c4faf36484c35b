import { useState, type FormEvent } from 'react';
import { postJson } from '../api/client';
import type { ReportInfo, Schedule } from '../api/types';
import { ErrorNote } from '../components/States';

const RANGES = [
  'yesterday',
  'today',
  'last_7_days',
  'last_30_days',
  'last_full_week',
  'last_full_month',
  'month_to_date',
];

/** A new schedule: a report with its tenant, a relative range, a cron in a zone, and an email or folder target. */
export function ScheduleForm({
  catalog,
  tenant,
  onCreated,
}: {
  catalog: ReportInfo[];
  tenant: string | null;
  onCreated: (s: Schedule) => void;
}) {
  const [form, setForm] = useState({
    name: '',
    report: catalog[0]?.name ?? '',
    range: 'last_full_month',
    cron: '0 6 1 * *',
    time_zone: '',
    format: 'xlsx',
    target: 'email',
    destination: '',
  });
  const [error, setError] = useState<unknown>(null);
  const set = (k: keyof typeof form) => (e: { target: { value: string } }) => setForm({ ...form, [k]: e.target.value });

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    const target =
      form.target === 'email'
        ? { type: 'email', to: form.destination.split(',').map((s) => s.trim()) }
        : form.target === 'folder'
          ? { type: 'folder', path: form.destination }
          : { type: 'webhook', url: form.destination };
    try {
      const created = await postJson<Schedule>('/v1/schedules', {
        name: form.name,
        report: form.report,
        params: tenant ? { tenant } : {},
        range: form.range,
        cron: form.cron,
        ...(form.time_zone ? { time_zone: form.time_zone } : {}),
        format: form.format,
        targets: [target],
      });
      onCreated(created);
    } catch (err) {
      setError(err);
    }
  };

  return (
    <form className="schedule-form filters" onSubmit={(e) => void submit(e)} aria-label="New schedule">
      <label>
        <span>Name</span>
        <input required value={form.name} onChange={set('name')} />
      </label>
      <label>
        <span>Report</span>
        <select value={form.report} onChange={set('report')}>
          {catalog.map((r) => (
            <option key={r.name} value={r.name}>
              {r.title}
            </option>
          ))}
        </select>
      </label>
      <label>
        <span>Range</span>
        <select value={form.range} onChange={set('range')}>
          {RANGES.map((r) => (
            <option key={r}>{r}</option>
          ))}
        </select>
      </label>
      <label>
        <span>Cron</span>
        <input required value={form.cron} onChange={set('cron')} />
      </label>
      <label>
        <span>Time zone</span>
        <input value={form.time_zone} onChange={set('time_zone')} list="time-zones" placeholder="report's zone" />
      </label>
      <label>
        <span>Format</span>
        <select value={form.format} onChange={set('format')}>
          <option>xlsx</option>
          <option>csv</option>
        </select>
      </label>
      <label>
        <span>Deliver to</span>
        <select value={form.target} onChange={set('target')}>
          <option value="email">email</option>
          <option value="folder">folder</option>
          <option value="webhook">webhook</option>
        </select>
      </label>
      <label>
        <span>{form.target === 'email' ? 'Addresses' : form.target === 'folder' ? 'Folder' : 'URL'}</span>
        <input required value={form.destination} onChange={set('destination')} />
      </label>
      <button type="submit">Create schedule</button>
      {error !== null && <ErrorNote error={error} />}
    </form>
  );
}
