import { useLayoutEffect, useRef, useState } from 'preact/hooks';
import type { LogBuffer } from '../lib/log-buffer';
import { LogLine } from './log-line';

/** Row height in px; the stylesheet's .log-row line-height must match. */
export const ROW = 18;

/**
 * A virtualised log: however many lines the buffer holds, only the rows in view are in the
 * DOM. The scroll height stands for all lines (ROW px each); a sticky window shows the lines
 * that scroll position maps to. With wrap on, a line may take several rows: at the end the
 * window is bottom-aligned so the newest line is always visible, elsewhere it starts at the
 * line the scroll position maps to. `stick` keeps the view at the end as lines arrive.
 */
export const LogView = ({
  buffer,
  version,
  filtered,
  wrap,
  query,
  stick,
  onStick,
  label,
}: {
  buffer: LogBuffer;
  /** Bumped by the page whenever the buffer changed (the buffer itself is mutable). */
  version: number;
  filtered: boolean;
  wrap: boolean;
  query: string;
  stick: boolean;
  onStick: (atEnd: boolean) => void;
  label: string;
}) => {
  const ref = useRef<HTMLDivElement>(null);
  const [view, setView] = useState({ top: 0, height: 480 });
  const count = buffer.count(filtered);
  const total = count * ROW;

  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    if (stick && el.scrollTop + el.clientHeight < el.scrollHeight) el.scrollTop = el.scrollHeight;
    if (el.scrollTop !== view.top || el.clientHeight !== view.height)
      setView({ top: el.scrollTop, height: el.clientHeight });
  });

  const rows = Math.ceil(view.height / ROW) + 1;
  const atEnd = stick || view.top + view.height >= total - 1;
  let first: number;
  let shift = 0;
  let bottom = false;
  if (wrap && atEnd) {
    first = Math.max(0, count - rows);
    bottom = true;
  } else {
    first = Math.min(Math.floor(view.top / ROW), Math.max(0, count - 1));
    shift = wrap ? 0 : view.top - first * ROW;
  }
  const last = Math.min(count, first + rows + 1);
  const lines = [];
  for (let i = first; i < last; i++) {
    const l = buffer.at(i, filtered);
    if (!l) continue;
    lines.push(
      <div key={l.seq} class={l.partial ? 'log-row partial' : 'log-row'} data-seq={l.seq}>
        <LogLine text={l.text} query={query} />
      </div>,
    );
  }
  void version;
  return (
    <div
      ref={ref}
      class={`log-scroller${wrap ? ' wrap' : ''}`}
      role="log"
      aria-label={label}
      tabIndex={0}
      onScroll={(e) => {
        const el = e.currentTarget;
        setView({ top: el.scrollTop, height: el.clientHeight });
        const end = el.scrollTop + el.clientHeight >= el.scrollHeight - ROW / 2;
        if (end !== stick) onStick(end);
      }}
    >
      <div class={`log-window${bottom ? ' bottom' : ''}`} style={{ height: `${view.height}px` }}>
        <div class="log-lines" style={shift ? { transform: `translateY(${-shift}px)` } : undefined}>
          {lines}
        </div>
      </div>
      <div
        class="log-spacer"
        style={{ height: `${Math.max(0, total - view.height)}px` }}
        aria-hidden="true"
      />
    </div>
  );
};
