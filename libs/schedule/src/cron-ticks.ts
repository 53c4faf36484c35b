import { CronExpressionParser } from 'cron-parser';

/** Five fields (minute hour day-of-month month day-of-week), or one of the named ones: never a seconds field. */
const MINUTE_GRAIN = /^(@(yearly|annually|monthly|weekly|daily|hourly)|\S+(\s+\S+){4})$/;

/** Why a cron expression or zone is unusable, or null when it is fine. */
export function cronProblem(expression: string, tz: string): string | null {
  if (!MINUTE_GRAIN.test(expression.trim())) {
    return 'must have five fields (minute hour day-of-month month day-of-week): a schedule runs at most once a minute';
  }
  try {
    CronExpressionParser.parse(expression, { tz, currentDate: new Date() }).next();
    return null;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

/** The latest tick at or before `now`, in the schedule's zone (null when there is none). */
export function latestTick(expression: string, tz: string, now: Date): Date | null {
  // prev() is strictly before currentDate: start one millisecond later so a tick at `now` counts.
  const cron = CronExpressionParser.parse(expression, { tz, currentDate: new Date(now.getTime() + 1) });
  return cron.hasPrev() ? cron.prev().toDate() : null;
}

export function nextTick(expression: string, tz: string, after: Date): Date {
  return CronExpressionParser.parse(expression, { tz, currentDate: after }).next().toDate();
}
