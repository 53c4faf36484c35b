import { localMidnightToUtc } from './report-range';
import { uncovered } from './rollup-source';

describe('uncovered: the parts of a report range its summaries do not serve', () => {
  const ktm = (d: number, h = 0) => localMidnightToUtc(2026, 11, d, 'Asia/Kathmandu') + h * 3_600_000;
  const range = { tz: 'Asia/Kathmandu', fromMs: ktm(1, 6), toMs: ktm(10) };
  const day = (d: number): [number, number] => [ktm(d), ktm(d + 1)];

  it('is the whole range when nothing is summarised', () => {
    expect(uncovered(range, [])).toEqual([[range.fromMs, range.toMs]]);
  });

  it('leaves the partial first day, the gaps between summarised days, and merges adjacent days', () => {
    expect(uncovered(range, [day(4), day(2), day(3), day(7)])).toEqual([
      [ktm(1, 6), ktm(2)],
      [ktm(5), ktm(7)],
      [ktm(8), ktm(10)],
    ]);
  });

  it('is empty when the summaries cover the range, and clips spans reaching past it', () => {
    expect(uncovered({ ...range, fromMs: ktm(2) }, [[ktm(1), ktm(20)]])).toEqual([]);
  });
});
