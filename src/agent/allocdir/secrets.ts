/**
 * Secret/private check (docs/wire.md, "Allocation files"): content under any task's `<task>/secrets` or
 * `<task>/private` must never be read (ls and stat of those dirs stay allowed). Judged on the
 * alloc-relative path both as requested and after symlink resolution, so a link from the task
 * dir into `secrets/` is refused too.
 *
 * Matching is case-insensitive like Nomad's (it guards against case-insensitive file systems);
 * unlike Nomad's plain string prefix (`web/secretsX`), it matches whole path segments.
 */
export type Protected = 'secret' | 'private' | undefined;

export const protectedKind = (rel: string, tasks: readonly string[]): Protected => {
  const [task, sub] = rel.split('/');
  if (task === undefined || sub === undefined) return undefined;
  const lowerTask = task.toLowerCase();
  if (!tasks.some((t) => t.toLowerCase() === lowerTask)) return undefined;
  const lowerSub = sub.toLowerCase();
  if (lowerSub === 'secrets') return 'secret';
  if (lowerSub === 'private') return 'private';
  return undefined;
};
