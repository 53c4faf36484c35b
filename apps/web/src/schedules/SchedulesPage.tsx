import { useState } from 'react';
import { getJson, postJson } from '../api/client';
import type { ReportInfo, Schedule, ScheduleRun } from '../api/types';
import { Empty, ErrorNote, Loading } from '../components/States';
import { formatInstant, formatNumber } from '../format';
import { useAsync } from '../useAsync';
import { ScheduleForm } from './ScheduleForm';

/** Schedules: the list, a new one, run now, and each schedule's runs with failures marked. */
export function SchedulesPage({ catalog, tenant }: { catalog: ReportInfo[]; tenant: string | null }) {
  const q: Record<string, string> = tenant ? { tenant } : {};
  const [list, reload] = useAsync(() => getJson<{ schedules: Schedule[] }>('/v1/schedules', q), JSON.stringify(q));
  const [open, setOpen] = useState<string | null>(null);
  return (
    <article>
      <h1>Schedules</h1>
      <details>
        <summary>New schedule</summary>
        <ScheduleForm catalog={catalog} tenant={tenant} onCreated={reload} />
      </details>
      {list.status === 'loading' && <Loading what="schedules" />}
      {list.status === 'error' && <ErrorNote error={list.error} />}
      {list.status === 'ok' &&
        (list.value.schedules.length === 0 ? (
          <Empty>No schedules yet.</Empty>
        ) : (
          <ul className="schedules">
            {list.value.schedules.map((s) => (
              <li key={s.id}>
                <ScheduleItem schedule={s} open={open === s.id} onToggle={() => setOpen(open === s.id ? null : s.id)} />
              </li>
            ))}
          </ul>
        ))}
    </article>
  );
}

function ScheduleItem({ schedule: s, open, onToggle }: { schedule: Schedule; open: boolean; onToggle: () => void }) {
  const [round, setRound] = useState(0);
  const [runError, setRunError] = useState<unknown>(null);
  const runNow = async () => {
    setRunError(null);
    try {
      await postJson<ScheduleRun>(`/v1/schedules/${s.id}/run`, {});
      setRound((r) => r + 1);
    } catch (err) {
      setRunError(err);
    }
  };
  return (
    <div className="schedule">
      <strong>{s.name}</strong> · {s.report} · {s.range} · <code>{s.cron}</code> {s.time_zone} · {s.format} →{' '}
      {s.targets.map((t) => t.type).join(', ')} {s.enabled ? '' : '(disabled)'}
      <div className="hint">next run {formatInstant(s.next_run_at)}</div>
      <div className="buttons">
        <button type="button" onClick={() => void runNow()}>
          Run now
        </button>
        <button type="button" aria-expanded={open} onClick={onToggle}>
          {open ? 'Hide runs' : 'Runs'}
        </button>
      </div>
      {runError !== null && <ErrorNote error={runError} />}
      {(open || round > 0) && <RunHistory id={s.id} round={round} />}
    </div>
  );
}

function RunHistory({ id, round }: { id: string; round: number }) {
  const [runs] = useAsync(() => getJson<{ runs: ScheduleRun[] }>(`/v1/schedules/${id}/runs`), `${id}:${round}`);
  if (runs.status === 'loading') return <Loading what="runs" />;
  if (runs.status === 'error') return <ErrorNote error={runs.error} />;
  if (runs.value.runs.length === 0) return <Empty>No runs yet.</Empty>;
  return (
    <table className="runs">
      <thead>
        <tr>
          <th>scheduled for</th>
          <th>trigger</th>
          <th>status</th>
          <th className="num">rows</th>
          <th className="num">ms</th>
          <th>error</th>
        </tr>
      </thead>
      <tbody>
        {runs.value.runs.map((r) => (
          <tr key={r.id} className={r.status === 'failed' ? 'failed' : undefined}>
            <td>{formatInstant(r.scheduled_for)}</td>
            <td>{r.trigger}</td>
            <td>{r.status === 'failed' ? <strong>failed</strong> : r.status}</td>
            <td className="num">{formatNumber(r.rows)}</td>
            <td className="num">{r.duration_ms === null ? '—' : formatNumber(r.duration_ms)}</td>
            <td>{r.error}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
