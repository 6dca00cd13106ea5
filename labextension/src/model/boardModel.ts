/**
 * The board's model: the indexed rows, loaded once and then kept current by the event stream
 * (`follow`: read again only when the stream cannot say what was missed), never by polling;
 * the project the board shows; and every change the board can make. Components read `state`
 * and call these actions; none of them calls the API itself.
 */

import { Notification } from '@jupyterlab/apputils';
import { ISignal, Signal } from '@lumino/signaling';

import { INewTask, IServerStatus, ITaskChanges, MaestroAPI } from '../api';
import { MaestroRequestError } from '../request';
import type { IMaestroEvents } from '../tokens';
import {
  IMaestroEvent,
  IMergeResult,
  IProject,
  ISessionDiff,
  ISession,
  ISubtask,
  ITask,
  ITimelineEntry
} from '../types';
import { Role } from '../vocabulary';
import { BoardState, IBoardState, ILoadProgress } from './boardState';

export interface IBoardModelOptions {
  /** Open a session's terminal as a tab; answers false when its terminal is gone. */
  openSession(session: ISession, activate: boolean): Promise<boolean>;
  /** The size, in cells, that a terminal tab opened now would have. */
  terminalSize(): { cols: number; rows: number };
  /** This window's Jupyter user name (what the server records as its actor), once known. */
  userName?(): string | null;
}

/** Why the server cannot use its store (`503 store_unavailable`), in its own words. */
export interface IStoreFault {
  message: string;
  details: Record<string, any>;
}

export interface ISpawnRequestOptions {
  /** Empty: the agent claims the next ready task of the project (default: the picked one). */
  taskIds: string[];
  role: Role;
  /** The server's default agent when empty. */
  agent?: string;
  projectId?: string;
  /** Spawn even for tasks with unmet dependencies or held by a live session. */
  force?: boolean;
}

/** `force: true` overrides a refusal for unmet dependencies (and leaves a timeline entry). */
export interface IForceOption {
  force?: boolean;
}

/** A view of the board that a component asks for; the plugin that owns it opens it. */
export type ViewRequest =
  | { view: 'board' }
  | { view: 'review'; sessionId: string };

type RowKind = 'task' | 'subtask' | 'session' | 'project';
const ROW_KINDS: readonly string[] = ['task', 'subtask', 'session', 'project'];

/** How many task timelines are read at once when cards come into view. */
const TIMELINE_READS = 4;

/**
 * How many loaded rows are taken in one task: a few milliseconds of work, so a load never
 * makes a long task even on a busy machine (a page of the API holds 500).
 */
const ROWS_PER_TASK = 100;

/**
 * Resolve in a new task of the event loop, after the browser has painted and handled input if
 * it had to. A message, not a timer: timers in a hidden tab fire at most once a second.
 */
function nextTask(): Promise<void> {
  return new Promise(resolve => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(null);
  });
}

/** A page of the API in slices of `ROWS_PER_TASK`. */
function slices<T>(rows: T[]): T[][] {
  const found: T[][] = [];
  for (let start = 0; start < rows.length; start += ROWS_PER_TASK) {
    found.push(rows.slice(start, start + ROWS_PER_TASK));
  }
  return found;
}

function storeFaultOf(error: unknown): IStoreFault | null {
  return error instanceof MaestroRequestError &&
    error.code === 'store_unavailable'
    ? { message: error.message, details: error.details }
    : null;
}

export class BoardModel {
  constructor(private readonly _options: IBoardModelOptions) {}

  get state(): IBoardState {
    return this._state;
  }

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** Emits when a component asks for the main-area board or a session's review. */
  get viewRequested(): ISignal<this, ViewRequest> {
    return this._viewRequested;
  }

  /** Ask for a main-area view (the board, a session's review). */
  requestView(request: ViewRequest): void {
    this._viewRequested.emit(request);
  }

  /** Agent names offered by the spawn form (the server's, when it lists them). */
  get agents(): readonly string[] {
    return this._agents;
  }

  /** The Jupyter user of this window, as timeline entries name them (`actor`). */
  get userName(): string | null {
    return this._options.userName?.() ?? null;
  }

  get defaultAgent(): string {
    return this._defaultAgent;
  }

  get isLoaded(): boolean {
    return this._isLoaded;
  }

  /** Why the last load failed, unless the store said so itself (`storeFault`). */
  get loadError(): string | null {
    return this._loadError;
  }

  /** Set while the server answers that its store cannot be used; cleared once it can. */
  get storeFault(): IStoreFault | null {
    return this._storeFault;
  }

  /** The project the board shows, and new tasks and spawns go to; null for all projects. */
  get projectId(): string | null {
    return this._projectId;
  }

  get project(): IProject | null {
    return this._projectId
      ? (this._state.projects.get(this._projectId) ?? null)
      : null;
  }

  /** Emits the picked project when it changes (a person's pick, or a deleted project). */
  get projectChanged(): ISignal<this, string | null> {
    return this._projectChanged;
  }

  get isConnected(): boolean {
    return this._isConnected;
  }

  /** Whether the last load read everything (not failed, not refused by the store). */
  private get _isCurrent(): boolean {
    return this._isLoaded && !this._loadError && !this._storeFault;
  }

  /**
   * Follow an event stream: the one place that decides when the board is read again. It is
   * loaded once, at start; the stream then keeps it current, a reconnect included (the server
   * replays what this window missed). It is read again only when the stream cannot say what
   * was missed (the server asked for a resync: its database was replaced, or the events are
   * no longer kept), or when the last load failed (a server that could not use its store,
   * back on line).
   */
  follow(events: IMaestroEvents): void {
    events.received.connect((_, event) => this.applyEvent(event));
    events.resynced.connect(() => void this.reload());
    events.connectionChanged.connect((_, connected) => {
      this._isConnected = connected;
      this._changed.emit();
      if (connected && !this._loading && !this._isCurrent) {
        void this.reload();
      }
    });
    this._isConnected = events.isConnected;
    void this.reload();
  }

  /**
   * Load everything; rows touched by events during the load keep their newer copy. A reload
   * asked for while one runs runs once more after it, so it sees everything up to the ask.
   */
  reload(): Promise<void> {
    if (this._loading) {
      this._loadAgain = true;
      return this._loading;
    }
    this._loading = (async () => {
      do {
        this._loadAgain = false;
        await this._load();
      } while (this._loadAgain);
    })().finally(() => {
      this._loading = null;
    });
    return this._loading;
  }

  applyEvent(event: IMaestroEvent): void {
    if (event.event === 'store:imported') {
      // A whole store arrived: reading it beats replaying it, timelines already read included.
      const read = [...this._timelineRead];
      this._state.clearTimeline();
      this._timelineRead.clear();
      void this.reload();
      read.forEach(taskId => this.loadRecentEntries(taskId));
      return;
    }
    const [kind, action] = event.event.split(':') as [RowKind, string];
    const data = event.data;
    if (event.event === 'timeline:created') {
      if (data?.taskId && this._state.putTimelineEntries(data.taskId, [data])) {
        this._changed.emit();
      }
      return;
    }
    if (!data?.id || !ROW_KINDS.includes(kind)) {
      return;
    }
    this._during?.touched.add(data.id);
    let changed = true;
    if (action === 'deleted') {
      this._during?.deleted.add(data.id);
      this._remove(kind, data.id);
    } else if (action === 'created' || action === 'updated') {
      changed = this._put(kind, data);
    } else {
      return;
    }
    if (changed) {
      this._changed.emit();
    }
  }

  /** Show one project (null: all); new tasks and spawns without a task go to it. */
  setProject(projectId: string | null): void {
    if (projectId && this._isLoaded && !this._state.projects.has(projectId)) {
      projectId = null; // a remembered pick whose project was deleted since
    }
    if (projectId === this._projectId) {
      return;
    }
    this._projectId = projectId;
    this._projectChanged.emit(projectId);
    this._changed.emit();
  }

  /**
   * Read a task's latest timeline entries, once (events keep them current after that). Cards
   * ask when they come into view, so a board of thousands reads only what is looked at.
   */
  loadRecentEntries(taskId: string): void {
    if (this._timelineRead.has(taskId)) {
      return;
    }
    this._timelineRead.add(taskId);
    this._timelineQueue.push(taskId);
    this._readTimelines();
  }

  /** A new task goes to the picked project unless it names one. */
  async createTask(task: INewTask): Promise<ITask> {
    const projectId = task.projectId ?? this._projectId ?? undefined;
    return this._keep(
      'task',
      await this._call(() => MaestroAPI.createTask({ ...task, projectId }))
    );
  }

  /**
   * With `version`, a change someone else made meanwhile makes this one fail (412). Starting
   * or completing a task whose dependencies are unmet is refused (409 `dependencies_unmet`)
   * unless `force`.
   */
  async updateTask(
    id: string,
    changes: ITaskChanges,
    version?: number,
    options: IForceOption = {}
  ): Promise<ITask> {
    return this._keep(
      'task',
      await this._call(() =>
        MaestroAPI.updateTask(id, changes, version, options.force)
      )
    );
  }

  async completeTask(id: string, options: IForceOption = {}): Promise<ITask> {
    return this._keep(
      'task',
      await this._call(() => MaestroAPI.completeTask(id, options.force))
    );
  }

  /** Take the task back from the session that holds it. */
  async releaseTask(id: string): Promise<ITask> {
    return this._keep(
      'task',
      await this._call(() => MaestroAPI.releaseTask(id))
    );
  }

  async blockTask(id: string, reason: string): Promise<ITask> {
    return this._keep(
      'task',
      await this._call(() => MaestroAPI.blockTask(id, reason))
    );
  }

  async addSubtask(taskId: string, title: string): Promise<ISubtask> {
    return this._keep(
      'subtask',
      await this._call(() => MaestroAPI.createSubtask(taskId, title))
    );
  }

  async toggleSubtask(subtask: ISubtask): Promise<ISubtask> {
    return this._keep(
      'subtask',
      await this._call(() =>
        MaestroAPI.setSubtaskCompleted(
          subtask.taskId,
          subtask.id,
          !subtask.completed
        )
      )
    );
  }

  /**
   * Spawn a session sized to the main area, and bring its tab forward. A spawn for tasks goes
   * to their project; one without a task, to the picked project.
   */
  async spawn(options: ISpawnRequestOptions): Promise<ISession> {
    const projectId =
      options.projectId ??
      (options.taskIds.length ? undefined : (this._projectId ?? undefined));
    const session = this._keep(
      'session',
      await this._call(() =>
        MaestroAPI.spawnSession({
          taskIds: options.taskIds,
          projectId,
          role: options.role,
          agent: options.agent || undefined,
          force: options.force || undefined,
          ...this._options.terminalSize()
        })
      )
    );
    Notification.success(`Spawned session ${session.name}`, {
      autoClose: 4000
    });
    await this._options.openSession(session, true);
    return session;
  }

  /** Type a message into a session's terminal and press Enter, as a person would. */
  async sendInput(sessionId: string, text: string): Promise<ISession> {
    return this._keep(
      'session',
      await this._call(() => MaestroAPI.sendInput(sessionId, text))
    );
  }

  async stopSession(id: string): Promise<ISession> {
    return this._keep(
      'session',
      await this._call(() => MaestroAPI.stopSession(id))
    );
  }

  /** A session's changes against its base commit (its worktree's, with patches). */
  async diff(sessionId: string): Promise<ISessionDiff> {
    const diff = await this._call(() => MaestroAPI.sessionDiff(sessionId));
    this._noteChangedFiles(sessionId, diff.stats.files);
    return diff;
  }

  /**
   * How many files a worktree session changed, once read (`?stat=true`); undefined until
   * then. The board asks only for the cards it shows; `loadChangedFiles` reads it.
   */
  changedFiles(sessionId: string): number | undefined {
    return this._changedFiles.get(sessionId);
  }

  /** Read a worktree session's changed-file count, once per session version. */
  loadChangedFiles(session: ISession): void {
    const key = `${session.id}@${session.version}`;
    if (session.isolation !== 'worktree' || this._statsRead.has(key)) {
      return;
    }
    this._statsRead.add(key);
    this._call(() => MaestroAPI.sessionDiff(session.id, true))
      .then(diff => this._noteChangedFiles(session.id, diff.stats.files))
      .catch(error => {
        this._statsRead.delete(key);
        console.warn(
          `Maestro: cannot read the changes of ${session.id}`,
          error
        );
      });
  }

  /** Merge the session's worktree into its base branch; a conflict is a 409 naming files. */
  async mergeSession(
    sessionId: string,
    strategy: 'merge' | 'squash' = 'merge'
  ): Promise<IMergeResult> {
    const result = await this._call(() =>
      MaestroAPI.mergeSession(sessionId, strategy)
    );
    this._keep('session', result.session);
    this._noteChangedFiles(sessionId, 0);
    return result;
  }

  /** Remove the session's worktree and branch. */
  async discardSession(sessionId: string): Promise<ISession> {
    const session = this._keep(
      'session',
      await this._call(() => MaestroAPI.discardSession(sessionId))
    );
    this._noteChangedFiles(sessionId, 0);
    return session;
  }

  /** Resume an ended session's agent in a new session, and bring its tab forward. */
  async resumeSession(sessionId: string): Promise<ISession> {
    const session = this._keep(
      'session',
      await this._call(() => MaestroAPI.resumeSession(sessionId))
    );
    await this._options.openSession(session, true);
    return session;
  }

  /** Bring the session's tab forward, opening it if needed. */
  async openSession(session: ISession): Promise<void> {
    if (!(await this._options.openSession(session, true))) {
      throw new Error('its terminal is no longer running on the server');
    }
  }

  /**
   * Read everything, page by page: each page is taken in slices, each slice in a task of its
   * own (after the browser has had its turn), so 10,000 tasks never hold the page for long,
   * and the board shows what has arrived while the rest comes.
   */
  private async _load(): Promise<void> {
    const load: ILoadProgress = {
      read: new Set(),
      touched: new Set(),
      deleted: new Set()
    };
    this._during = load;
    // Start in a task of its own: not inside Lab's activation of every plugin, already long.
    await nextTask();
    let taken = Promise.resolve();
    const take = (rows: Parameters<BoardState['takeLoaded']>[0]) => {
      taken = taken.then(nextTask).then(() => {
        if (this._during === load) {
          this._state.takeLoaded(rows, load);
          this._changed.emit();
        }
      });
    };
    try {
      const [, , projects, status] = await Promise.all([
        MaestroAPI.listTasks(undefined, page =>
          slices(page).forEach(tasks => take({ tasks }))
        ),
        MaestroAPI.listSessions(page =>
          slices(page).forEach(sessions => take({ sessions }))
        ),
        MaestroAPI.listProjects(),
        // An older server may not describe itself; a store that cannot be used still says why.
        MaestroAPI.status().catch(error => {
          if (storeFaultOf(error)) {
            throw error;
          }
          return {} as IServerStatus;
        })
      ]);
      take({ projects });
      await taken;
      this._agents = Array.isArray(status.agents) ? status.agents : [];
      this._defaultAgent = status.defaultAgent ?? '';
      this._state.dropUnread(load);
      this._isLoaded = true;
      this._forgetVanishedProject();
      this._loadError = null;
      this._storeFault = null;
    } catch (error) {
      const fault = storeFaultOf(error);
      this._storeFault = fault ?? this._storeFault;
      this._loadError = fault
        ? null
        : error instanceof MaestroRequestError
          ? error.describe()
          : (error as Error).message;
    } finally {
      this._during = null;
      this._changed.emit();
    }
  }

  private _noteChangedFiles(sessionId: string, count: number): void {
    if (this._changedFiles.get(sessionId) !== count) {
      this._changedFiles.set(sessionId, count);
      this._changed.emit();
    }
  }

  /** Run a request, noting whether the server can use its store. */
  private async _call<T>(request: () => Promise<T>): Promise<T> {
    try {
      const result = await request();
      if (this._storeFault) {
        // It works again: what changed while it did not is read afresh.
        this._storeFault = null;
        void this.reload();
      }
      return result;
    } catch (error) {
      const fault = storeFaultOf(error);
      if (fault) {
        this._storeFault = fault;
        this._changed.emit();
      }
      throw error;
    }
  }

  /** Show the server's answer at once; its event, arriving later, changes nothing more. */
  private _keep<T extends { id: string }>(kind: RowKind, row: T): T {
    this._during?.touched.add(row.id);
    if (this._put(kind, row)) {
      this._changed.emit();
    }
    return row;
  }

  private _put(kind: RowKind, row: any): boolean {
    switch (kind) {
      case 'task':
        return this._state.putTask(row);
      case 'subtask':
        return this._state.putSubtask(row);
      case 'project':
        return this._state.putProject(row);
      default:
        return this._state.putSession(row);
    }
  }

  private _remove(kind: RowKind, id: string): void {
    switch (kind) {
      case 'task':
        return this._state.removeTask(id);
      case 'subtask':
        return this._state.removeSubtask(id);
      case 'project':
        this._state.removeProject(id);
        return this._forgetVanishedProject();
      default:
        return this._state.removeSession(id);
    }
  }

  /** A picked project that no longer exists gives way to all projects. */
  private _forgetVanishedProject(): void {
    if (this._projectId && !this._state.projects.has(this._projectId)) {
      this.setProject(null);
    }
  }

  /** Read queued timelines a few at a time; a failed read may be asked for again. */
  private _readTimelines(): void {
    while (this._timelineReads < TIMELINE_READS && this._timelineQueue.length) {
      const taskId = this._timelineQueue.shift()!;
      this._timelineReads++;
      this._call(() => MaestroAPI.taskTimeline(taskId))
        .then((entries: ITimelineEntry[]) => {
          if (this._state.putTimelineEntries(taskId, entries)) {
            this._changed.emit();
          }
        })
        .catch(error => {
          this._timelineRead.delete(taskId);
          if (!(error instanceof MaestroRequestError && error.status === 404)) {
            console.warn(
              `Maestro: cannot read the timeline of ${taskId}`,
              error
            );
          }
        })
        .finally(() => {
          this._timelineReads--;
          this._readTimelines();
        });
    }
  }

  private _state = new BoardState();
  private _changed = new Signal<this, void>(this);
  private _viewRequested = new Signal<this, ViewRequest>(this);
  private _agents: readonly string[] = [];
  private _defaultAgent = '';
  private _isLoaded = false;
  private _loadError: string | null = null;
  private _storeFault: IStoreFault | null = null;
  private _isConnected = false;
  private _changedFiles = new Map<string, number>();
  /** `id@version` of the sessions whose changed-file count was read. */
  private _statsRead = new Set<string>();
  private _loading: Promise<void> | null = null;
  private _loadAgain = false;
  private _during: ILoadProgress | null = null;
  private _projectId: string | null = null;
  private _projectChanged = new Signal<this, string | null>(this);
  /** Tasks whose timeline was read (or is queued): read once, then kept by events. */
  private _timelineRead = new Set<string>();
  private _timelineQueue: string[] = [];
  private _timelineReads = 0;
}
