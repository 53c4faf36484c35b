import type { TestWarehouse } from './warehouse-app';

/**
 * The two ways a report can get its figures: from the summaries the rollup
 * job built (where they are current), or from the fine rollups and the exact
 * sources (before the job, in another zone, after late events). Every build
 * is recorded in rollup_builds and every report decides by it, so hiding that
 * table (renamed away, an empty one in its place) sends a report down the
 * fine path without touching what was built.
 */
export type ReportPath = 'summaries' | 'fine rollups';

export async function onPath<T>(wh: TestWarehouse, path: ReportPath, run: () => Promise<T>): Promise<T> {
  if (path === 'summaries') return run();
  const sql = (query: string) => wh.ch.command(query, { tag: 'test:report-path' });
  await sql('RENAME TABLE rollup_builds TO rollup_builds_hidden');
  try {
    await sql('CREATE TABLE rollup_builds AS rollup_builds_hidden');
    return await run();
  } finally {
    await sql('DROP TABLE IF EXISTS rollup_builds');
    await sql('RENAME TABLE rollup_builds_hidden TO rollup_builds');
  }
}

/** Runs `check` on both paths, naming the path in a failure. */
export async function onBothPaths(wh: TestWarehouse, check: (path: ReportPath) => Promise<void>): Promise<void> {
  for (const path of ['summaries', 'fine rollups'] as const) await onPath(wh, path, () => check(path));
}

/**
 * Runs a report on both paths and checks they agree, returning the result: a
 * test that compares it with its oracle then holds for both.
 */
export async function bothPathsAgree<T extends { rows: unknown[] }>(
  wh: TestWarehouse,
  run: () => Promise<T>,
): Promise<T> {
  const summaries = await onPath(wh, 'summaries', run);
  const fine = await onPath(wh, 'fine rollups', run);
  expect({ path: 'fine rollups', rows: fine.rows }).toEqual({ path: 'fine rollups', rows: summaries.rows });
  return summaries;
}
