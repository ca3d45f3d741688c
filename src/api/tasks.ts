/**
 * Task names of an allocation as the gateway shows it: Nomad's `TaskStates` map (what
 * `/v1/allocation/:id` returns), or the registry's `Tasks` list when a server sends that.
 */
export const taskNames = (alloc: {
  Tasks?: readonly string[] | undefined;
  TaskStates?: Record<string, unknown> | undefined;
}): string[] =>
  alloc.Tasks && alloc.Tasks.length > 0 ? [...alloc.Tasks] : Object.keys(alloc.TaskStates ?? {}).sort();
