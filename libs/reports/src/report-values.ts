/** Result values: engine counts (numbers from chDB, strings over HTTP) and the rounding the reports print. */

/** A count or sum from a query row; NULL or missing is 0. */
export const num = (v: number | string | null | undefined): number => Number(v ?? 0);

export const round = (x: number, digits: number): number => Math.round(x * 10 ** digits) / 10 ** digits;

/** part / whole to 4 decimals (a percent column), 0 when there is no whole. */
export const share = (part: number, whole: number): number => (whole > 0 ? round(part / whole, 4) : 0);
