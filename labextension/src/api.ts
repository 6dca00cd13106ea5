/**
 * Typed calls to Maestro's REST API, one function per route the extension uses.
 */

import { UUID } from '@lumino/coreutils';

import { requestAPI } from './request';
import { ICollection, ISession, ISubtask, ITask } from './types';
import { Priority, Role, TaskStatus } from './vocabulary';

const PAGE_SIZE = 500;

/** Every item of a collection, following `nextCursor`. */
async function listAll<T>(
  path: string,
  query: Record<string, string> = {}
): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | undefined;
  do {
    const page = await requestAPI<ICollection<T>>(path, {
      query: { ...query, limit: PAGE_SIZE, cursor }
    });
    items.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return items;
}

/** Creates carry an Idempotency-Key, so a retried click never makes two. */
function createHeaders(): Record<string, string> {
  return { 'Idempotency-Key': UUID.uuid4() };
}

export interface INewTask {
  title: string;
  description?: string;
  priority?: Priority;
  parentId?: string;
  subtasks?: Array<{ title: string }>;
}

export interface ITaskChanges {
  title?: string;
  description?: string;
  priority?: Priority;
  status?: TaskStatus;
}

export interface ISpawnOptions {
  taskIds: string[];
  role?: Role;
  agent?: string;
  name?: string;
  cols?: number;
  rows?: number;
}

export interface IServerStatus {
  version?: string;
  lastSeq?: number;
  /** The configured agents' names, when the server lists them. */
  agents?: string[];
  defaultAgent?: string;
}

export const MaestroAPI = {
  listTasks(): Promise<ITask[]> {
    return listAll<ITask>('tasks', { include: 'subtasks' });
  },

  createTask(task: INewTask): Promise<ITask> {
    return requestAPI<ITask>('tasks', {
      method: 'POST',
      body: task,
      headers: createHeaders()
    });
  },

  /** Change a task; with `version` the change is refused (412) when someone else moved it on. */
  updateTask(
    id: string,
    changes: ITaskChanges,
    version?: number
  ): Promise<ITask> {
    return requestAPI<ITask>(`tasks/${id}`, {
      method: 'PATCH',
      body: changes,
      headers: version === undefined ? {} : { 'If-Match': String(version) }
    });
  },

  completeTask(id: string): Promise<ITask> {
    return requestAPI<ITask>(`tasks/${id}/complete`, {
      method: 'POST',
      body: {}
    });
  },

  blockTask(id: string, reason: string): Promise<ITask> {
    return requestAPI<ITask>(`tasks/${id}/block`, {
      method: 'POST',
      body: { reason }
    });
  },

  createSubtask(taskId: string, title: string): Promise<ISubtask> {
    return requestAPI<ISubtask>(`tasks/${taskId}/subtasks`, {
      method: 'POST',
      body: { title },
      headers: createHeaders()
    });
  },

  setSubtaskCompleted(
    taskId: string,
    subtaskId: string,
    completed: boolean
  ): Promise<ISubtask> {
    return requestAPI<ISubtask>(`tasks/${taskId}/subtasks/${subtaskId}`, {
      method: 'PATCH',
      body: { completed }
    });
  },

  listSessions(): Promise<ISession[]> {
    return listAll<ISession>('sessions');
  },

  getSession(id: string): Promise<ISession> {
    return requestAPI<ISession>(`sessions/${id}`);
  },

  spawnSession(options: ISpawnOptions): Promise<ISession> {
    return requestAPI<ISession>('sessions/spawn', {
      method: 'POST',
      body: { ...options, spawnSource: 'ui' },
      headers: createHeaders()
    });
  },

  stopSession(id: string): Promise<ISession> {
    return requestAPI<ISession>(`sessions/${id}/stop`, {
      method: 'POST',
      body: {}
    });
  },

  status(): Promise<IServerStatus> {
    return requestAPI<IServerStatus>('status');
  },

  /** The server's last event number: where a client with no history starts listening. */
  async lastSeq(): Promise<number> {
    return (await MaestroAPI.status()).lastSeq ?? 0;
  }
};
