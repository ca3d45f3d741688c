/**
 * ANSI SGR colours (ESC [ ... m) to styled segments, so task output that colours itself reads as
 * it would in a terminal. Other escape sequences (cursor moves, titles) are dropped. Each line
 * is parsed on its own: a log line is rendered in isolation by the virtualised list.
 */
export interface Style {
  /** 0–15: one of the theme's 16 colours (a CSS class); a string: an exact CSS colour. */
  fg?: number | string;
  bg?: number | string;
  bold?: boolean;
  dim?: boolean;
  italic?: boolean;
  underline?: boolean;
}

export interface Segment {
  readonly text: string;
  readonly style: Style;
}

// CSI sequences, OSC sequences (ended by BEL or ST) and two-byte escapes.
// eslint-disable-next-line no-control-regex
const ESCAPES = /\x1b\[([0-9;:?]*)([@-~])|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-Z\\-_]/g;

/** The text without any escape sequence (what search matches and copy copies). */
export const stripAnsi = (s: string): string => (s.includes('\x1b') ? s.replace(ESCAPES, '') : s);

const CUBE = [0, 95, 135, 175, 215, 255];

/** xterm's 256-colour palette beyond the first 16. */
const color256 = (n: number): number | string => {
  if (n < 16) return n;
  if (n < 232) {
    const i = n - 16;
    return `rgb(${CUBE[Math.floor(i / 36)]},${CUBE[Math.floor(i / 6) % 6]},${CUBE[i % 6]})`;
  }
  const g = 8 + (n - 232) * 10;
  return `rgb(${g},${g},${g})`;
};

const clamp = (n: number | undefined): number => Math.max(0, Math.min(255, n ?? 0));

const applySgr = (style: Style, params: number[]): Style => {
  let s = { ...style };
  for (let i = 0; i < params.length; i++) {
    const p = params[i]!;
    if (p === 0) s = {};
    else if (p === 1) s.bold = true;
    else if (p === 2) s.dim = true;
    else if (p === 3) s.italic = true;
    else if (p === 4) s.underline = true;
    else if (p === 22) s.bold = s.dim = false;
    else if (p === 23) s.italic = false;
    else if (p === 24) s.underline = false;
    else if (p >= 30 && p <= 37) s.fg = p - 30;
    else if (p >= 90 && p <= 97) s.fg = p - 90 + 8;
    else if (p === 39) delete s.fg;
    else if (p >= 40 && p <= 47) s.bg = p - 40;
    else if (p >= 100 && p <= 107) s.bg = p - 100 + 8;
    else if (p === 49) delete s.bg;
    else if (p === 38 || p === 48) {
      const key = p === 38 ? 'fg' : 'bg';
      if (params[i + 1] === 5 && params[i + 2] !== undefined) {
        s[key] = color256(params[i + 2]!);
        i += 2;
      } else if (params[i + 1] === 2) {
        s[key] = `rgb(${clamp(params[i + 2])},${clamp(params[i + 3])},${clamp(params[i + 4])})`;
        i += 4;
      }
    }
  }
  return s;
};

/** A line split into runs of one style each; empty runs are left out. */
export const parseAnsi = (line: string): Segment[] => {
  if (!line.includes('\x1b')) return line ? [{ text: line, style: {} }] : [];
  const out: Segment[] = [];
  let style: Style = {};
  let last = 0;
  ESCAPES.lastIndex = 0;
  for (let m = ESCAPES.exec(line); m; m = ESCAPES.exec(line)) {
    if (m.index > last) out.push({ text: line.slice(last, m.index), style });
    last = ESCAPES.lastIndex;
    if (m[2] === 'm') {
      const params = (m[1] ?? '').split(/[;:]/).map((x) => (x === '' ? 0 : Number(x)));
      style = applySgr(style, params);
    }
  }
  if (last < line.length) out.push({ text: line.slice(last), style });
  return out;
};
