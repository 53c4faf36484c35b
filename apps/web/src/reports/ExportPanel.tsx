import { useState } from 'react';
import { download, getJson, postJson } from '../api/client';
import type { ExportJob } from '../api/types';
import { formatNumber } from '../format';

type Kind = 'csv' | 'xlsx' | 'xlsx-password';

interface Progress {
  job?: ExportJob;
  error?: string;
  done?: boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * CSV, XLSX and password-protected XLSX through the exports API: start a job, poll its progress,
 * then fetch the file with the key and hand it to the browser. Every export needs a reason (audited).
 */
export function ExportPanel({ report, params }: { report: string; params: Record<string, string> }) {
  const [reason, setReason] = useState('');
  const [password, setPassword] = useState('');
  const [progress, setProgress] = useState<Progress | null>(null);
  const busy = progress !== null && !progress.done && !progress.error;

  async function start(kind: Kind) {
    if (reason.trim().length < 3) {
      setProgress({ error: 'Say why you download the data (at least 3 characters).' });
      return;
    }
    if (kind === 'xlsx-password' && password.length < 8) {
      setProgress({ error: 'The password must be at least 8 characters.' });
      return;
    }
    const format = kind === 'csv' ? 'csv' : 'xlsx';
    try {
      setProgress({});
      let job = await postJson<ExportJob>('/v1/exports', {
        report,
        params,
        format,
        reason: reason.trim(),
        ...(kind === 'xlsx-password' ? { password } : {}),
      });
      while (job.status === 'queued' || job.status === 'running') {
        setProgress({ job });
        await sleep(400);
        job = await getJson<ExportJob>(`/v1/exports/${job.id}`);
      }
      setProgress({ job });
      if (job.status !== 'done') throw new Error(job.error || `the export ${job.status}`);
      await download(`/v1/exports/${job.id}/file`, {}, `${report}.${format}`);
      setProgress({ job, done: true });
    } catch (err) {
      setProgress((p) => ({ ...p, error: err instanceof Error ? err.message : String(err) }));
    }
  }

  return (
    <section className="export-panel" aria-label="Download">
      <h2>Download</h2>
      <div className="export-fields">
        <label>
          <span>Reason (required)</span>
          <input name="reason" value={reason} onChange={(e) => setReason(e.target.value)} placeholder="why" />
        </label>
        <label>
          <span>Password (XLSX with password)</span>
          <input
            name="export-password"
            type="password"
            autoComplete="new-password"
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
        </label>
      </div>
      <div className="buttons">
        <button type="button" disabled={busy} onClick={() => void start('csv')}>
          CSV
        </button>
        <button type="button" disabled={busy} onClick={() => void start('xlsx')}>
          XLSX
        </button>
        <button type="button" disabled={busy} onClick={() => void start('xlsx-password')}>
          XLSX with password
        </button>
      </div>
      {progress && <ExportProgress progress={progress} />}
    </section>
  );
}

function ExportProgress({ progress }: { progress: Progress }) {
  const { job, error, done } = progress;
  if (error) {
    return (
      <p role="alert" className="error" data-testid="export-status">
        {error}
      </p>
    );
  }
  const percent = job?.percent ?? null;
  return (
    <div role="status" aria-live="polite" data-testid="export-status">
      <progress max={100} value={done ? 100 : (percent ?? undefined)} />{' '}
      {done
        ? `Downloaded · ${formatNumber(job?.rows ?? 0)} rows`
        : job
          ? `${job.status} · ${formatNumber(job.rows)} rows${percent !== null ? ` · ${percent} %` : ''}`
          : 'starting…'}
    </div>
  );
}
