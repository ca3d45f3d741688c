/**
 * A small live line chart (SVG): the last `capacity` samples of one or more series on a shared
 * scale, with the latest value of each in the legend. No chart library: this is all the UI needs.
 */
export interface Series {
  readonly label: string;
  readonly values: readonly number[];
  /** One of the theme's chart colours: c0 … c5. */
  readonly color: string;
}

const W = 300;
const H = 80;

export const Chart = ({
  title,
  series,
  max,
  capacity = 60,
  format,
}: {
  title: string;
  series: readonly Series[];
  /** Fixed top of the scale (e.g. 100 for percentages); else the largest value seen. */
  max?: number;
  capacity?: number;
  format: (v: number) => string;
}) => {
  const top = max ?? Math.max(1, ...series.flatMap((s) => s.values)) * 1.15;
  const x = (i: number, n: number) => W - ((n - 1 - i) * W) / (capacity - 1);
  const y = (v: number) => H - (Math.min(v, top) / top) * (H - 4) - 2;
  const latest = series.map((s) => `${s.label} ${format(s.values[s.values.length - 1] ?? 0)}`).join(', ');
  return (
    <figure class="chart">
      <figcaption>
        <span class="chart-title">{title}</span>
        <span class="chart-legend">
          {series.map((s) => (
            <span key={s.label} class={`legend ${s.color}`}>
              <i aria-hidden="true" />
              {s.label} <b>{format(s.values[s.values.length - 1] ?? 0)}</b>
            </span>
          ))}
        </span>
      </figcaption>
      <svg viewBox={`0 0 ${W} ${H}`} preserveAspectRatio="none" role="img" aria-label={`${title}: ${latest}`}>
        {[0.25, 0.5, 0.75].map((f) => (
          <line key={f} class="grid" x1="0" x2={W} y1={H * f} y2={H * f} />
        ))}
        {series.map((s) => {
          const n = s.values.length;
          if (n === 0) return null;
          const pts = s.values.map((v, i) => `${x(i, n).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
          return (
            <g key={s.label} class={s.color}>
              <polygon class="area" points={`${x(0, n).toFixed(1)},${H} ${pts} ${W},${H}`} />
              <polyline class="line" points={pts} />
            </g>
          );
        })}
      </svg>
    </figure>
  );
};

/** Appends a sample, keeping the last `capacity`. */
export const pushSample = (values: readonly number[], v: number, capacity = 60): number[] => {
  const next = values.length >= capacity ? values.slice(values.length - capacity + 1) : values.slice();
  next.push(v);
  return next;
};
