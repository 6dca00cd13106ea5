/**
 * The board's search and filters: which tasks a column shows. A pure function over the
 * model's indexed state, so a keystroke filters 10,000 titles without touching the DOM.
 */

import { serverIdentity } from '../identity';
import { IBoardState } from '../model/boardState';
import { Role } from '../vocabulary';

export interface IBoardFilters {
  /** Words the title, description or id contain (case-insensitive). */
  search: string;
  label: string;
  role: Role | '';
  /** Only tasks with a session of this server that waits for a person. */
  needsMe: boolean;
}

export const NO_FILTERS: IBoardFilters = {
  search: '',
  label: '',
  role: '',
  needsMe: false
};

export function isFiltered(filters: IBoardFilters): boolean {
  return !!(filters.search || filters.label || filters.role || filters.needsMe);
}

export function filterTasks(
  state: IBoardState,
  taskIds: readonly string[],
  filters: IBoardFilters
): readonly string[] {
  if (!isFiltered(filters)) {
    return taskIds;
  }
  const words = filters.search.toLowerCase().split(/\s+/).filter(Boolean);
  return taskIds.filter(id => {
    const task = state.tasks.get(id);
    if (!task) {
      return false;
    }
    if (filters.label && !(task.labels ?? []).includes(filters.label)) {
      return false;
    }
    if (words.length) {
      const text =
        `${task.title}\n${task.description}\n${task.id}`.toLowerCase();
      if (!words.every(word => text.includes(word))) {
        return false;
      }
    }
    if (filters.role || filters.needsMe) {
      const sessions = state.entry(id)?.sessions ?? [];
      if (filters.role && !sessions.some(s => s.role === filters.role)) {
        return false;
      }
      if (
        filters.needsMe &&
        !sessions.some(
          s => s.status === 'needs_input' && !serverIdentity.isForeign(s)
        )
      ) {
        return false;
      }
    }
    return true;
  });
}

/** Every label of the tasks (of one project), sorted; cached by the state until one changes. */
export function labelsOf(
  state: IBoardState,
  projectId: string | null
): readonly string[] {
  return state.labels(projectId);
}
