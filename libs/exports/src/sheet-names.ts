/** Excel's limit on a sheet name's length. */
const MAX_NAME = 31;
/** Characters Excel forbids in sheet names. */
const FORBIDDEN = /[[\]:*?/\\]/g;

/**
 * The names of a workbook's tabs: valid for Excel (31 characters, none of
 * []:*?/\, no leading or trailing apostrophe, not 'History') and unique the way
 * Excel compares them (ignoring case).
 */
export class SheetNames {
  private readonly taken = new Set<string>();

  /** `wanted` made valid and unique: 'Name', else 'Name (2)', 'Name (3)', ... */
  claim(wanted: string): string {
    return this.claimFrom(wanted, 1);
  }

  /** The name of part `part` (2, 3, ...) of a sheet named `base`: 'base (part)', or the next free number. */
  claimFrom(base: string, part: number): string {
    const clean = cleanName(base);
    for (let n = part; ; n++) {
      const suffix = n === 1 ? '' : ` (${n})`;
      const name = cut(clean, MAX_NAME - suffix.length) + suffix;
      if (!this.taken.has(name.toLowerCase())) {
        this.taken.add(name.toLowerCase());
        return name;
      }
    }
  }
}

function cleanName(wanted: string): string {
  const name = withoutControls(wanted)
    .replace(FORBIDDEN, '_')
    .trim()
    .replace(/^'+|'+$/g, '')
    .trim();
  // 'History' is reserved by Excel for change tracking.
  if (name.toLowerCase() === 'history') return `${name}_`;
  return name || 'Sheet';
}

/** Control characters cannot be in XML 1.0 (exceljs would drop them, and the names would no longer match). */
function withoutControls(text: string): string {
  let out = '';
  for (const ch of text) if (ch >= ' ' && ch !== '\u007f') out += ch;
  return out;
}

/** The first `max` UTF-16 units, without splitting a surrogate pair. */
function cut(text: string, max: number): string {
  if (text.length <= max) return text;
  const end = /[\ud800-\udbff]/.test(text[max - 1]) ? max - 1 : max;
  return text.slice(0, end).trimEnd().replace(/'+$/, '');
}
