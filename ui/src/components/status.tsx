/** A coloured status word (node ready/down, allocation running/failed, task state). */
export const Status = ({ value }: { value: string }) => (
  <span class={`status status-${value.replace(/[^a-z-]/g, '')}`}>{value}</span>
);

export const Loading = ({ what }: { what: string }) => (
  <p class="loading" role="status">
    Loading {what}…
  </p>
);
