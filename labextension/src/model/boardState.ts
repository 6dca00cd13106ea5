/**
 * The board's rows, indexed so that one event touches one entry: tasks by id, subtasks and
 * sessions by id and by task, claims by session, dependents by dependency, and each task's
 * latest timeline entries. Each task's view (`ITaskEntry`) is rebuilt only when one of its
 * rows changes and is otherwise the same object, so a memoised card re-renders only when it
 * must, and a virtualised list can ask for the entries it shows.
 */

import {
  IDependency,
  IProject,
  ISession,
  ISubtask,
  ITask,
  ITimelineEntry
} from '../types';
import {
  ENDED_SESSION_STATUSES,
  PRIORITY_RANK,
  RESOLVED_TASK_STATUSES,
  TaskStatus
} from '../vocabulary';

/** How many of a task's latest timeline entries the board keeps. */
export const RECENT_ENTRIES = 10;

/** Who holds a claimed task: its session, when the board has it, else only its id. */
export interface IClaim {
  readonly sessionId: string;
  readonly session?: ISession;
  readonly at?: string | null;
}

/** A task with everything its card shows. */
export interface ITaskEntry {
  readonly task: ITask;
  /** By position. */
  readonly subtasks: readonly ISubtask[];
  /** Oldest first. */
  readonly sessions: readonly ISession[];
  readonly claim: IClaim | null;
  /** The dependencies not yet completed or cancelled: while any, the task waits. */
  readonly unmetDependencies: readonly IDependency[];
  /** The latest timeline entries the board has seen or read, oldest first. */
  readonly recentEntries: readonly ITimelineEntry[];
}

/** What a load read so far, and which rows events changed or deleted while it ran. */
export interface ILoadProgress {
  readonly read: Set<string>;
  readonly touched: Set<string>;
  readonly deleted: Set<string>;
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

/**
 * Code-unit order: what ISO times and ids need, and many times cheaper than `localeCompare`
 * when 10,000 tasks are sorted.
 */
function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function byPriorityThenAge(a: ITask, b: ITask): number {
  const rank = PRIORITY_RANK[a.priority] - PRIORITY_RANK[b.priority];
  return rank || compareText(a.createdAt, b.createdAt);
}

function byTime(a: ITimelineEntry, b: ITimelineEntry): number {
  return compareText(a.at, b.at) || compareText(a.id, b.id);
}

function sameList(
  a: readonly string[] = [],
  b: readonly string[] = []
): boolean {
  return a.length === b.length && a.every((item, index) => item === b[index]);
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

/** The key of a project filter in the caches: '' for every project. */
function filterKey(projectId: string | null): string {
  return projectId ?? '';
}

/** What the board reads; only the model changes it. */
export interface IBoardState {
  readonly tasks: ReadonlyMap<string, ITask>;
  readonly subtasks: ReadonlyMap<string, ISubtask>;
  readonly sessions: ReadonlyMap<string, ISession>;
  readonly projects: ReadonlyMap<string, IProject>;
  entry(taskId: string): ITaskEntry | undefined;
  /**
   * The ids of the tasks in a status (of one project, or of all with null), most urgent
   * first, then oldest first.
   */
  taskIdsWithStatus(
    status: TaskStatus,
    projectId?: string | null
  ): readonly string[];
  /** The sessions that have not ended (of one project, or of all with null), newest first. */
  activeSessions(projectId?: string | null): readonly ISession[];
  /** The sessions waiting for a person (`needs_input`), longest waiting first. */
  needsYou(projectId?: string | null): readonly ISession[];
  /**
   * Every session once (of one project, or of all with null): the ones that need you first,
   * then working, then idle, then the rest; newest first within each.
   */
  sessionList(projectId?: string | null): readonly ISession[];
  /** The projects, oldest first (the server's order). */
  projectList(): readonly IProject[];
  /** Every label of the tasks (of one project, or of all with null), sorted. */
  labels(projectId?: string | null): readonly string[];
}

/** Where a session sorts in the session list: what needs a person, then what works. */
export function sessionRank(session: ISession): number {
  if (session.status === 'needs_input') {
    return 0;
  }
  if (isEnded(session)) {
    return 4;
  }
  return session.activity === 'working'
    ? 1
    : session.activity === 'idle'
      ? 2
      : 3;
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

  get projects(): ReadonlyMap<string, IProject> {
    return this._projects;
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
          (a, b) => compareText(a.createdAt, b.createdAt)
        ),
        claim: task.claimedBy
          ? {
              sessionId: task.claimedBy,
              session: this._sessions.get(task.claimedBy),
              at: task.claimedAt
            }
          : null,
        unmetDependencies: this._unmetDependencies(task),
        recentEntries: this._timeline.get(taskId) ?? []
      };
      this._entries.set(taskId, entry);
    }
    return entry;
  }

  taskIdsWithStatus(
    status: TaskStatus,
    projectId: string | null = null
  ): readonly string[] {
    const key = filterKey(projectId);
    let groups = this._groups.get(key);
    if (!groups) {
      const byStatus = new Map<TaskStatus, ITask[]>();
      for (const task of this._tasks.values()) {
        if (projectId !== null && task.projectId !== projectId) {
          continue;
        }
        const group = byStatus.get(task.status);
        if (group) {
          group.push(task);
        } else {
          byStatus.set(task.status, [task]);
        }
      }
      groups = new Map(
        [...byStatus].map(([status, tasks]) => [
          status,
          tasks.sort(byPriorityThenAge).map(task => task.id)
        ])
      );
      this._groups.set(key, groups);
    }
    return groups.get(status) ?? [];
  }

  activeSessions(projectId: string | null = null): readonly ISession[] {
    const key = filterKey(projectId);
    let active = this._active.get(key);
    if (!active) {
      active = [...this._sessions.values()]
        .filter(
          session =>
            !isEnded(session) &&
            (projectId === null || session.projectId === projectId)
        )
        .sort((a, b) => compareText(b.createdAt, a.createdAt));
      this._active.set(key, active);
    }
    return active;
  }

  needsYou(projectId: string | null = null): readonly ISession[] {
    const key = `needs:${filterKey(projectId)}`;
    let found = this._active.get(key);
    if (!found) {
      found = this.activeSessions(projectId)
        .filter(session => session.status === 'needs_input')
        .reverse();
      this._active.set(key, found);
    }
    return found;
  }

  sessionList(projectId: string | null = null): readonly ISession[] {
    const key = `all:${filterKey(projectId)}`;
    let found = this._active.get(key);
    if (!found) {
      found = [...this._sessions.values()]
        .filter(
          session => projectId === null || session.projectId === projectId
        )
        .sort(
          (a, b) =>
            sessionRank(a) - sessionRank(b) ||
            compareText(b.createdAt, a.createdAt)
        );
      this._active.set(key, found);
    }
    return found;
  }

  projectList(): readonly IProject[] {
    if (!this._projectList) {
      this._projectList = [...this._projects.values()].sort(
        (a, b) =>
          compareText(a.createdAt, b.createdAt) || compareText(a.id, b.id)
      );
    }
    return this._projectList;
  }

  labels(projectId: string | null = null): readonly string[] {
    const key = filterKey(projectId);
    let labels = this._labels.get(key);
    if (!labels) {
      const found = new Set<string>();
      for (const task of this._tasks.values()) {
        if (projectId === null || task.projectId === projectId) {
          for (const label of task.labels ?? []) {
            found.add(label);
          }
        }
      }
      labels = [...found].sort(compareText);
      this._labels.set(key, labels);
    }
    return labels;
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
      current.createdAt !== task.createdAt ||
      current.projectId !== task.projectId
    ) {
      this._groups.clear();
    }
    if (
      !current ||
      current.projectId !== task.projectId ||
      !sameList(current.labels, task.labels)
    ) {
      this._labels.clear();
    }
    if (current?.claimedBy !== task.claimedBy) {
      this._unindexClaim(current);
      if (task.claimedBy) {
        addTo(this._claimsBySession, task.claimedBy, task.id);
      }
    }
    if (!sameList(current?.dependencies, task.dependencies)) {
      this._unindexDependencies(current);
      for (const dependency of task.dependencies ?? []) {
        addTo(this._dependents, dependency, task.id);
      }
    }
    // What its dependents show of it: its title and whether it still holds them back.
    if (
      current &&
      (current.status !== task.status || current.title !== task.title)
    ) {
      this._touch(this._dependents.get(task.id));
    }
    return true;
  }

  removeTask(id: string): void {
    const task = this._tasks.get(id);
    if (!task) {
      return;
    }
    this._tasks.delete(id);
    for (const subtaskId of this._subtasksByTask.get(id) ?? []) {
      this._subtasks.delete(subtaskId);
    }
    this._subtasksByTask.delete(id);
    this._sessionsByTask.delete(id);
    this._unindexClaim(task);
    this._unindexDependencies(task);
    this._touch(this._dependents.get(id));
    this._timeline.delete(id);
    this._entries.delete(id);
    this._groups.clear();
    this._labels.clear();
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
    this._touch(this._claimsBySession.get(session.id));
    this._active.clear();
    return true;
  }

  removeSession(id: string): void {
    const session = this._sessions.get(id);
    if (session) {
      this._sessions.delete(id);
      this._unindexSession(session);
      this._touch(this._claimsBySession.get(id));
      this._active.clear();
    }
  }

  putProject(project: IProject, options: { force?: boolean } = {}): boolean {
    if (!options.force && !isNewer(this._projects.get(project.id), project)) {
      return false;
    }
    this._projects.set(project.id, project);
    this._projectList = null;
    return true;
  }

  removeProject(id: string): void {
    if (this._projects.delete(id)) {
      this._projectList = null;
    }
  }

  /**
   * Keep timeline entries of one task (an event's, or a read of its timeline): the latest
   * `RECENT_ENTRIES`, each once. False when none of them was new.
   */
  putTimelineEntries(
    taskId: string,
    entries: readonly ITimelineEntry[]
  ): boolean {
    const kept = this._timeline.get(taskId) ?? [];
    const known = new Set(kept.map(entry => entry.id));
    const added = entries.filter(
      entry => entry.taskId === taskId && !known.has(entry.id)
    );
    if (!added.length) {
      return false;
    }
    const merged = [...kept, ...added].sort(byTime).slice(-RECENT_ENTRIES);
    if (
      sameList(
        merged.map(entry => entry.id),
        kept.map(entry => entry.id)
      )
    ) {
      return false; // all older than what is kept
    }
    this._timeline.set(taskId, merged);
    this._entries.delete(taskId);
    return true;
  }

  /**
   * Take a slice of a load. A loaded row is the truth (its version may even be lower: a
   * replaced database) unless an event brought a newer copy during the load; a row an event
   * deleted stays deleted.
   */
  takeLoaded(
    rows: { tasks?: ITask[]; sessions?: ISession[]; projects?: IProject[] },
    load: ILoadProgress
  ): void {
    const { read, touched, deleted } = load;
    const take = <T extends IVersioned>(
      row: T,
      put: (row: T, options: { force: boolean }) => boolean
    ) => {
      read.add(row.id);
      if (!deleted.has(row.id)) {
        put(row, { force: !touched.has(row.id) });
      }
    };
    for (const { subtasks, ...task } of rows.tasks ?? []) {
      take(task, (row, options) => this.putTask(row, options));
      for (const subtask of subtasks ?? []) {
        take(subtask, (row, options) => this.putSubtask(row, options));
      }
    }
    for (const session of rows.sessions ?? []) {
      take(session, (row, options) => this.putSession(row, options));
    }
    for (const project of rows.projects ?? []) {
      take(project, (row, options) => this.putProject(row, options));
    }
  }

  /** End a load: drop the rows it did not read, unless an event touched them meanwhile. */
  dropUnread(load: ILoadProgress): void {
    const drop = (
      current: ReadonlyMap<string, unknown>,
      remove: (id: string) => void
    ) => {
      const gone: string[] = [];
      for (const id of current.keys()) {
        if (!load.read.has(id) && !load.touched.has(id)) {
          gone.push(id);
        }
      }
      gone.forEach(remove);
    };
    drop(this._tasks, id => this.removeTask(id));
    drop(this._subtasks, id => this.removeSubtask(id));
    drop(this._sessions, id => this.removeSession(id));
    drop(this._projects, id => this.removeProject(id));
  }

  /** Forget every timeline entry (a whole store was imported: they are read again). */
  clearTimeline(): void {
    for (const taskId of this._timeline.keys()) {
      this._entries.delete(taskId);
    }
    this._timeline.clear();
  }

  private _unmetDependencies(task: ITask): IDependency[] {
    const unmet: IDependency[] = [];
    // An id the board does not know is a task deleted meanwhile (the server drops those).
    for (const id of task.dependencies ?? []) {
      const dependency = this._tasks.get(id);
      if (dependency && !RESOLVED_TASK_STATUSES.includes(dependency.status)) {
        unmet.push({ id, title: dependency.title, status: dependency.status });
      }
    }
    return unmet;
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

  /** Rebuild these tasks' entries when next asked for. */
  private _touch(taskIds: Iterable<string> | undefined): void {
    for (const taskId of taskIds ?? []) {
      this._entries.delete(taskId);
    }
  }

  private _unindexSession(session: ISession | undefined): void {
    for (const taskId of session?.taskIds ?? []) {
      removeFrom(this._sessionsByTask, taskId, session!.id);
      this._entries.delete(taskId);
    }
  }

  private _unindexClaim(task: ITask | undefined): void {
    if (task?.claimedBy) {
      removeFrom(this._claimsBySession, task.claimedBy, task.id);
    }
  }

  private _unindexDependencies(task: ITask | undefined): void {
    for (const dependency of task?.dependencies ?? []) {
      removeFrom(this._dependents, dependency, task!.id);
    }
  }

  private _tasks = new Map<string, ITask>();
  private _subtasks = new Map<string, ISubtask>();
  private _sessions = new Map<string, ISession>();
  private _projects = new Map<string, IProject>();
  private _subtasksByTask = new Map<string, Set<string>>();
  private _sessionsByTask = new Map<string, Set<string>>();
  /** Session id -> the tasks it holds. */
  private _claimsBySession = new Map<string, Set<string>>();
  /** Task id -> the tasks that depend on it. */
  private _dependents = new Map<string, Set<string>>();
  private _timeline = new Map<string, ITimelineEntry[]>();
  private _entries = new Map<string, ITaskEntry>();
  /** Per project filter ('' for all): status -> task ids in board order. */
  private _groups = new Map<string, Map<TaskStatus, string[]>>();
  /** Per filter key: the session lists (active, needs you, all), rebuilt after a change. */
  private _active = new Map<string, ISession[]>();
  private _projectList: IProject[] | null = null;
  /** Per project filter: the tasks' labels, sorted. */
  private _labels = new Map<string, string[]>();
}
