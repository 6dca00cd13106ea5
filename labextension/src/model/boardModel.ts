/**
 * The board's model: the indexed rows, loaded once and then kept current by the event stream
 * (and reloaded after a reconnect), never by polling; and every change the board can make.
 * Components read `state` and call these actions; none of them calls the API itself.
 */

import { Notification } from '@jupyterlab/apputils';
import { ISignal, Signal } from '@lumino/signaling';

import { INewTask, IServerStatus, ITaskChanges, MaestroAPI } from '../api';
import { MaestroRequestError } from '../request';
import { IMaestroEvent, ISession, ISubtask, ITask } from '../types';
import { Role } from '../vocabulary';
import { BoardState, IBoardState } from './boardState';

export interface IBoardModelOptions {
  /** Open a session's terminal as a tab; answers false when its terminal is gone. */
  openSession(session: ISession, activate: boolean): Promise<boolean>;
  /** The size, in cells, that a terminal tab opened now would have. */
  terminalSize(): { cols: number; rows: number };
}

/** Why the server cannot use its store (`503 store_unavailable`), in its own words. */
export interface IStoreFault {
  message: string;
  details: Record<string, any>;
}

export interface ISpawnRequestOptions {
  taskIds: string[];
  role: Role;
  /** The server's default agent when empty. */
  agent?: string;
}

type RowKind = 'task' | 'subtask' | 'session';
const ROW_KINDS: readonly string[] = ['task', 'subtask', 'session'];

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

  /** Agent names offered by the spawn form (the server's, when it lists them). */
  get agents(): readonly string[] {
    return this._agents;
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

  get isConnected(): boolean {
    return this._isConnected;
  }

  set isConnected(value: boolean) {
    this._isConnected = value;
    this._changed.emit();
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
      void this.reload(); // a whole store arrived: reading it beats replaying it
      return;
    }
    const [kind, action] = event.event.split(':') as [RowKind, string];
    const data = event.data;
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

  async createTask(task: INewTask): Promise<ITask> {
    return this._keep(
      'task',
      await this._call(() => MaestroAPI.createTask(task))
    );
  }

  /** With `version`, a change someone else made meanwhile makes this one fail (412). */
  async updateTask(
    id: string,
    changes: ITaskChanges,
    version?: number
  ): Promise<ITask> {
    return this._keep(
      'task',
      await this._call(() => MaestroAPI.updateTask(id, changes, version))
    );
  }

  async completeTask(id: string): Promise<ITask> {
    return this._keep(
      'task',
      await this._call(() => MaestroAPI.completeTask(id))
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

  /** Spawn a session sized to the main area, and bring its tab forward. */
  async spawn(options: ISpawnRequestOptions): Promise<ISession> {
    const session = this._keep(
      'session',
      await this._call(() =>
        MaestroAPI.spawnSession({
          taskIds: options.taskIds,
          role: options.role,
          agent: options.agent || undefined,
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

  async stopSession(id: string): Promise<ISession> {
    return this._keep(
      'session',
      await this._call(() => MaestroAPI.stopSession(id))
    );
  }

  /** Bring the session's tab forward, opening it if needed. */
  async openSession(session: ISession): Promise<void> {
    if (!(await this._options.openSession(session, true))) {
      throw new Error('its terminal is no longer running on the server');
    }
  }

  private async _load(): Promise<void> {
    const during = { touched: new Set<string>(), deleted: new Set<string>() };
    this._during = during;
    try {
      const [tasks, sessions, status] = await Promise.all([
        MaestroAPI.listTasks(),
        MaestroAPI.listSessions(),
        // An older server may not describe itself; a store that cannot be used still says why.
        MaestroAPI.status().catch(error => {
          if (storeFaultOf(error)) {
            throw error;
          }
          return {} as IServerStatus;
        })
      ]);
      this._agents = Array.isArray(status.agents) ? status.agents : [];
      this._defaultAgent = status.defaultAgent ?? '';
      this._state.replace({ tasks, sessions }, during);
      this._isLoaded = true;
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
      default:
        return this._state.removeSession(id);
    }
  }

  private _state = new BoardState();
  private _changed = new Signal<this, void>(this);
  private _agents: readonly string[] = [];
  private _defaultAgent = '';
  private _isLoaded = false;
  private _loadError: string | null = null;
  private _storeFault: IStoreFault | null = null;
  private _isConnected = false;
  private _loading: Promise<void> | null = null;
  private _loadAgain = false;
  private _during: { touched: Set<string>; deleted: Set<string> } | null = null;
}
