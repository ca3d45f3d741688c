import type { CSSProperties, JSX } from 'preact';
import { parseAnsi, type Style } from '../lib/ansi';

const styleOf = (s: Style): { class: string; style?: CSSProperties } => {
  const cls: string[] = [];
  const css: CSSProperties = {};
  if (typeof s.fg === 'number') cls.push(`fg${s.fg}`);
  else if (s.fg) css.color = s.fg;
  if (typeof s.bg === 'number') cls.push(`bg${s.bg}`);
  else if (s.bg) css.backgroundColor = s.bg;
  if (s.bold) cls.push('b');
  if (s.dim) cls.push('dim');
  if (s.italic) cls.push('i');
  if (s.underline) cls.push('u');
  return Object.keys(css).length ? { class: cls.join(' '), style: css } : { class: cls.join(' ') };
};

/** `text` with every case-insensitive occurrence of `q` (already lower-case) in a <mark>. */
const highlight = (text: string, q: string): (string | JSX.Element)[] => {
  if (!q) return [text];
  const lower = text.toLowerCase();
  const out: (string | JSX.Element)[] = [];
  let at = 0;
  for (let i = lower.indexOf(q); i !== -1; i = lower.indexOf(q, i + q.length)) {
    if (i > at) out.push(text.slice(at, i));
    out.push(<mark key={i}>{text.slice(i, i + q.length)}</mark>);
    at = i + q.length;
  }
  if (at < text.length) out.push(text.slice(at));
  return out;
};

/** One log line: ANSI colours as classes (the 16 theme colours) or exact colours, search hits marked. */
export const LogLine = ({ text, query }: { text: string; query: string }) => {
  const segs = parseAnsi(text);
  if (segs.length === 0) return <>{'\u200b'}</>;
  return (
    <>
      {segs.map((s, i) => {
        const st = styleOf(s.style);
        const body = highlight(s.text, query);
        return st.class || st.style ? (
          <span key={i} class={st.class || undefined} style={st.style}>
            {body}
          </span>
        ) : (
          <span key={i}>{body}</span>
        );
      })}
    </>
  );
};
