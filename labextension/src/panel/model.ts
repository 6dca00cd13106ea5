/**
 * The board's state: tasks, subtasks and sessions, loaded once and then kept current by the
 * event stream (and reloaded after a reconnect), never by polling.
 */

import { ISignal, Signal } from '@lumino/signaling';

import { IServerStatus, MaestroAPI } from '../api';
import { IMaestroEvent, ISession, ISubtask, ITask } from '../types';

interface IVersioned {
  id: string;
  version: number;
}

/** Keep the newer of two copies of a row: events and a reload may arrive in either order. */
function upsert<T extends IVersioned>(map: Map<string, T>, item: T): void {
  const current = map.get(item.id);
  if (!current || (item.version ?? 0) >= (current.version ?? 0)) {
    map.set(item.id, item);
  }
}

export class BoardModel {
  readonly tasks = new Map<string, ITask>();
  readonly subtasks = new Map<string, ISubtask>();
  readonly sessions = new Map<string, ISession>();
  /** Agent names offered by the spawn form (the server's, when it lists them). */
  agents: string[] = [];
  defaultAgent = '';

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  get isLoaded(): boolean {
    return this._isLoaded;
  }

  get loadError(): string | null {
    return this._loadError;
  }

  get isConnected(): boolean {
    return this._isConnected;
  }

  set isConnected(value: boolean) {
    this._isConnected = value;
    this._changed.emit();
  }

  /** Load everything; rows touched by events during the load keep their newer copy. */
  async reload(): Promise<void> {
    this._touchedDuringLoad = new Set();
    this._deletedDuringLoad = new Set();
    try {
      const [tasks, sessions, status] = await Promise.all([
        MaestroAPI.listTasks(),
        MaestroAPI.listSessions(),
        MaestroAPI.status().catch(() => ({}) as IServerStatus)
      ]);
      this.agents = Array.isArray(status.agents) ? status.agents : [];
      this.defaultAgent = status.defaultAgent ?? '';
      const touched = this._touchedDuringLoad;
      const deleted = this._deletedDuringLoad;
      const live = <T extends IVersioned>(items: T[]) =>
        items.filter(item => !deleted.has(item.id));
      this._replace(
        this.tasks,
        live(tasks.map(({ subtasks, ...task }) => task as ITask)),
        touched
      );
      this._replace(
        this.subtasks,
        live(tasks.flatMap(task => task.subtasks ?? [])),
        touched
      );
      this._replace(this.sessions, live(sessions), touched);
      this._isLoaded = true;
      this._loadError = null;
    } catch (error) {
      this._loadError = (error as Error).message;
    } finally {
      this._touchedDuringLoad = null;
      this._deletedDuringLoad = null;
      this._changed.emit();
    }
  }

  applyEvent(event: IMaestroEvent): void {
    const [kind, action] = event.event.split(':');
    const map = this._mapFor(kind);
    if (!map || !event.data?.id) {
      return;
    }
    this._touchedDuringLoad?.add(event.data.id);
    if (action === 'deleted') {
      this._deletedDuringLoad?.add(event.data.id);
      map.delete(event.data.id);
      if (kind === 'task') {
        for (const subtask of [...this.subtasks.values()]) {
          if (subtask.taskId === event.data.id) {
            this.subtasks.delete(subtask.id);
          }
        }
      }
    } else if (action === 'created' || action === 'updated') {
      const item = { ...event.data };
      if (kind === 'task') {
        delete item.subtasks;
      }
      upsert(map, item);
    } else {
      return;
    }
    this._changed.emit();
  }

  subtasksOf(taskId: string): ISubtask[] {
    return [...this.subtasks.values()]
      .filter(subtask => subtask.taskId === taskId)
      .sort((a, b) => a.position - b.position);
  }

  sessionsOf(taskId: string): ISession[] {
    return [...this.sessions.values()].filter(session =>
      session.taskIds?.includes(taskId)
    );
  }

  private _mapFor(kind: string): Map<string, any> | null {
    switch (kind) {
      case 'task':
        return this.tasks;
      case 'subtask':
        return this.subtasks;
      case 'session':
        return this.sessions;
      default:
        return null;
    }
  }

  private _replace<T extends IVersioned>(
    map: Map<string, T>,
    items: T[],
    touched: Set<string>
  ): void {
    const loaded = new Set(items.map(item => item.id));
    for (const id of [...map.keys()]) {
      if (!loaded.has(id) && !touched.has(id)) {
        map.delete(id);
      }
    }
    for (const item of items) {
      if (!touched.has(item.id)) {
        map.set(item.id, item);
      } else {
        upsert(map, item);
      }
    }
  }

  private _changed = new Signal<this, void>(this);
  private _isLoaded = false;
  private _loadError: string | null = null;
  private _isConnected = false;
  private _touchedDuringLoad: Set<string> | null = null;
  private _deletedDuringLoad: Set<string> | null = null;
}
