import { SheetNames } from './sheet-names';

describe('SheetNames', () => {
  it('replaces the characters Excel forbids', () => {
    expect(new SheetNames().claim('a[b]c:d*e?f/g\\h')).toBe('a_b_c_d_e_f_g_h');
    expect(new SheetNames().claim('tab\there\u0000')).toBe('tabhere');
  });

  it('drops leading and trailing apostrophes, and avoids empty and reserved names', () => {
    const names = new SheetNames();
    expect(names.claim("'quoted'")).toBe('quoted');
    expect(names.claim('   ')).toBe('Sheet');
    expect(names.claim('History')).toBe('History_');
  });

  it('keeps names within 31 characters, suffix included', () => {
    const names = new SheetNames();
    const long = 'CampaignPerformanceByUserAndChannel';
    expect(names.claim(long)).toBe(long.slice(0, 31));
    const second = names.claimFrom(long, 2);
    expect(second).toBe(`${long.slice(0, 27)} (2)`);
    expect(second).toHaveLength(31);
    expect(names.claimFrom(long, 12)).toBe(`${long.slice(0, 26)} (12)`);
  });

  it('makes names unique the way Excel compares them (ignoring case)', () => {
    const names = new SheetNames();
    expect(names.claim('Data')).toBe('Data');
    expect(names.claim('DATA')).toBe('DATA (2)');
    expect(names.claimFrom('Data', 2)).toBe('Data (3)');
  });

  it('does not split a surrogate pair when cutting', () => {
    const name = new SheetNames().claim(`${'x'.repeat(30)}😀`);
    expect(name).toBe('x'.repeat(30));
  });
});
