/**
 * The board's rows, indexed so that one event touches one entry: tasks by id, subtasks and
 * sessions by id and by task. Each task's view (`ITaskEntry`) is rebuilt only when one of its
 * rows changes and is otherwise the same object, so a memoised card re-renders only when it
 * must, and a virtualised list can ask for the entries it shows.
 */

import { ISession, ISubtask, ITask } from '../types';
import {
  ENDED_SESSION_STATUSES,
  PRIORITY_RANK,
  TaskStatus
} from '../vocabulary';

/** A task with its subtasks (by position) and its sessions (oldest first). */
export interface ITaskEntry {
  readonly task: ITask;
  readonly subtasks: readonly ISubtask[];
  readonly sessions: readonly ISession[];
}

interface IVersioned {
  id: string;
  version: number;
}

/** Whether `next` may replace `current`: events and a reload may arrive in either order. */
function isNewer(current: IVersioned | undefined, next: IVersioned): boolean {
  return !current || (next.version ?? 0) >= (current.version ?? 0);
}

export function isEnded(session: ISession): boolean {
  return ENDED_SESSION_STATUSES.includes(session.status);
}

/** Completed or cancelled: no more work, no new subtasks or sessions. */
export function isClosed(task: ITask): boolean {
  return task.status === 'completed' || task.status === 'cancelled';
}

function byPriorityThenAge(a: ITask, b: ITask): number {
  const rank = PRIORITY_RANK[a.priority] - PRIORITY_RANK[b.priority];
  return rank || a.createdAt.localeCompare(b.createdAt);
}

function addTo(index: Map<string, Set<string>>, key: string, id: string): void {
  let ids = index.get(key);
  if (!ids) {
    ids = new Set();
    index.set(key, ids);
  }
  ids.add(id);
}

function removeFrom(
  index: Map<string, Set<string>>,
  key: string,
  id: string
): void {
  const ids = index.get(key);
  if (ids?.delete(id) && ids.size === 0) {
    index.delete(key);
  }
}

/** What the board reads; only the model changes it. */
export interface IBoardState {
  readonly tasks: ReadonlyMap<string, ITask>;
  readonly subtasks: ReadonlyMap<string, ISubtask>;
  readonly sessions: ReadonlyMap<string, ISession>;
  entry(taskId: string): ITaskEntry | undefined;
  /** The ids of the tasks in a status, most urgent first, then oldest first. */
  taskIdsWithStatus(status: TaskStatus): readonly string[];
  /** The sessions that have not ended, newest first. */
  activeSessions(): readonly ISession[];
}

export class BoardState implements IBoardState {
  get tasks(): ReadonlyMap<string, ITask> {
    return this._tasks;
  }

  get subtasks(): ReadonlyMap<string, ISubtask> {
    return this._subtasks;
  }

  get sessions(): ReadonlyMap<string, ISession> {
    return this._sessions;
  }

  entry(taskId: string): ITaskEntry | undefined {
    let entry = this._entries.get(taskId);
    if (!entry) {
      const task = this._tasks.get(taskId);
      if (!task) {
        return undefined;
      }
      entry = {
        task,
        subtasks: this._rows(this._subtasks, this._subtasksByTask, taskId).sort(
          (a, b) => a.position - b.position
        ),
        sessions: this._rows(this._sessions, this._sessionsByTask, taskId).sort(
          (a, b) => a.createdAt.localeCompare(b.createdAt)
        )
      };
      this._entries.set(taskId, entry);
    }
    return entry;
  }

  taskIdsWithStatus(status: TaskStatus): readonly string[] {
    if (!this._groups) {
      const groups = new Map<TaskStatus, ITask[]>();
      for (const task of this._tasks.values()) {
        const group = groups.get(task.status);
        if (group) {
          group.push(task);
        } else {
          groups.set(task.status, [task]);
        }
      }
      this._groups = new Map(
        [...groups].map(([key, tasks]) => [
          key,
          tasks.sort(byPriorityThenAge).map(task => task.id)
        ])
      );
    }
    return this._groups.get(status) ?? [];
  }

  activeSessions(): readonly ISession[] {
    if (!this._active) {
      this._active = [...this._sessions.values()]
        .filter(session => !isEnded(session))
        .sort((a, b) => b.createdAt.localeCompare(a.createdAt));
    }
    return this._active;
  }

  /** Keep a task (a copy carrying its subtasks keeps those too); false if it was older. */
  putTask(row: ITask, options: { force?: boolean } = {}): boolean {
    const { subtasks, ...task } = row;
    for (const subtask of subtasks ?? []) {
      this.putSubtask(subtask, options);
    }
    const current = this._tasks.get(task.id);
    if (!options.force && !isNewer(current, task)) {
      return false;
    }
    this._tasks.set(task.id, task);
    this._entries.delete(task.id);
    if (
      !current ||
      current.status !== task.status ||
      current.priority !== task.priority ||
      current.createdAt !== task.createdAt
    ) {
      this._groups = null;
    }
    return true;
  }

  removeTask(id: string): void {
    if (!this._tasks.delete(id)) {
      return;
    }
    for (const subtaskId of this._subtasksByTask.get(id) ?? []) {
      this._subtasks.delete(subtaskId);
    }
    this._subtasksByTask.delete(id);
    this._sessionsByTask.delete(id);
    this._entries.delete(id);
    this._groups = null;
  }

  putSubtask(subtask: ISubtask, options: { force?: boolean } = {}): boolean {
    if (!options.force && !isNewer(this._subtasks.get(subtask.id), subtask)) {
      return false;
    }
    this._subtasks.set(subtask.id, subtask);
    addTo(this._subtasksByTask, subtask.taskId, subtask.id);
    this._entries.delete(subtask.taskId);
    return true;
  }

  removeSubtask(id: string): void {
    const subtask = this._subtasks.get(id);
    if (subtask) {
      this._subtasks.delete(id);
      removeFrom(this._subtasksByTask, subtask.taskId, id);
      this._entries.delete(subtask.taskId);
    }
  }

  putSession(session: ISession, options: { force?: boolean } = {}): boolean {
    const current = this._sessions.get(session.id);
    if (!options.force && !isNewer(current, session)) {
      return false;
    }
    // Its tasks can change (assigned, unassigned): both the old and the new ones are touched.
    this._unindexSession(current);
    this._sessions.set(session.id, session);
    for (const taskId of session.taskIds ?? []) {
      addTo(this._sessionsByTask, taskId, session.id);
      this._entries.delete(taskId);
    }
    this._active = null;
    return true;
  }

  removeSession(id: string): void {
    const session = this._sessions.get(id);
    if (session) {
      this._sessions.delete(id);
      this._unindexSession(session);
      this._active = null;
    }
  }

  /**
   * Take a full load. Rows an event touched while the load was under way keep the newer copy,
   * rows an event deleted stay deleted, and rows the load does not have are dropped.
   */
  replace(
    loaded: { tasks: ITask[]; sessions: ISession[] },
    during: { touched: Set<string>; deleted: Set<string> }
  ): void {
    const { touched, deleted } = during;
    const keep = <T extends IVersioned>(rows: T[]) =>
      rows.filter(row => !deleted.has(row.id));
    const tasks = keep(loaded.tasks);
    const subtasks = keep(tasks.flatMap(task => task.subtasks ?? []));
    const sessions = keep(loaded.sessions);

    const drop = (
      current: ReadonlyMap<string, unknown>,
      rows: IVersioned[],
      remove: (id: string) => void
    ) => {
      const ids = new Set(rows.map(row => row.id));
      for (const id of [...current.keys()]) {
        if (!ids.has(id) && !touched.has(id)) {
          remove(id);
        }
      }
    };
    drop(this._tasks, tasks, id => this.removeTask(id));
    drop(this._subtasks, subtasks, id => this.removeSubtask(id));
    drop(this._sessions, sessions, id => this.removeSession(id));

    // A loaded row is the truth (its version may even be lower: a replaced database) unless
    // an event brought a newer copy during the load.
    for (const { subtasks: _, ...task } of tasks) {
      this.putTask(task, { force: !touched.has(task.id) });
    }
    for (const subtask of subtasks) {
      this.putSubtask(subtask, { force: !touched.has(subtask.id) });
    }
    for (const session of sessions) {
      this.putSession(session, { force: !touched.has(session.id) });
    }
  }

  private _rows<T>(
    rows: ReadonlyMap<string, T>,
    index: Map<string, Set<string>>,
    taskId: string
  ): T[] {
    const found: T[] = [];
    for (const id of index.get(taskId) ?? []) {
      const row = rows.get(id);
      if (row) {
        found.push(row);
      }
    }
    return found;
  }

  private _unindexSession(session: ISession | undefined): void {
    for (const taskId of session?.taskIds ?? []) {
      removeFrom(this._sessionsByTask, taskId, session!.id);
      this._entries.delete(taskId);
    }
  }

  private _tasks = new Map<string, ITask>();
  private _subtasks = new Map<string, ISubtask>();
  private _sessions = new Map<string, ISession>();
  private _subtasksByTask = new Map<string, Set<string>>();
  private _sessionsByTask = new Map<string, Set<string>>();
  private _entries = new Map<string, ITaskEntry>();
  private _groups: Map<TaskStatus, string[]> | null = null;
  private _active: ISession[] | null = null;
}
