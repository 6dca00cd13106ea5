/**
 * Typed calls to Maestro's REST API, one function per route the extension uses.
 */

import { UUID } from '@lumino/coreutils';

import { requestAPI } from './request';
import {
  ICollection,
  IMergeResult,
  IProject,
  ISession,
  ISessionDiff,
  ISubtask,
  ITask,
  ITimelineEntry
} from './types';
import { Priority, Role, TASK_STATUSES, TaskStatus } from './vocabulary';

const PAGE_SIZE = 500;

/** Called with each page of a collection as it arrives (a long list is never held whole). */
export type PageHandler<T> = (items: T[]) => void | Promise<void>;

/** Every item of a collection, following `nextCursor`: handed page by page, or answered. */
async function listAll<T>(
  path: string,
  query: Record<string, string> = {},
  onPage?: PageHandler<T>
): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | undefined;
  do {
    const page = await requestAPI<ICollection<T>>(path, {
      query: { ...query, limit: PAGE_SIZE, cursor }
    });
    if (onPage) {
      await onPage(page.items);
    } else {
      items.push(...page.items);
    }
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
  /** The server's default project when absent. */
  projectId?: string;
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
  /** May be empty: the agent then claims the project's next ready task. */
  taskIds: string[];
  /** Needed only without tasks; a task's spawn goes to the task's project. */
  projectId?: string;
  /** Spawn even for tasks with unmet dependencies or claimed by a live session. */
  force?: boolean;
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
  /**
   * Every task (of one project, when given), with its subtasks. Pages follow a keyset cursor,
   * so they are read one after another; each status is its own chain, and the chains run
   * at once. With `onPage`, each page goes there as it arrives and nothing is answered.
   */
  async listTasks(
    projectId?: string,
    onPage?: PageHandler<ITask>
  ): Promise<ITask[]> {
    const chains = await Promise.all(
      TASK_STATUSES.map(status =>
        listAll<ITask>(
          'tasks',
          {
            include: 'subtasks',
            status,
            ...(projectId ? { projectId } : {})
          },
          onPage
        )
      )
    );
    return chains.flat();
  },

  createTask(task: INewTask): Promise<ITask> {
    return requestAPI<ITask>('tasks', {
      method: 'POST',
      body: task,
      headers: createHeaders()
    });
  },

  /**
   * Change a task; with `version` the change is refused (412) when someone else moved it on.
   * `force` starts or completes it even though its dependencies are unmet.
   */
  updateTask(
    id: string,
    changes: ITaskChanges,
    version?: number,
    force = false
  ): Promise<ITask> {
    return requestAPI<ITask>(`tasks/${id}`, {
      method: 'PATCH',
      body: force ? { ...changes, force } : changes,
      headers: version === undefined ? {} : { 'If-Match': String(version) }
    });
  },

  completeTask(id: string, force = false): Promise<ITask> {
    return requestAPI<ITask>(`tasks/${id}/complete`, {
      method: 'POST',
      body: force ? { force } : {}
    });
  },

  /** Give a claimed task back (it returns to `todo` if it was in progress). */
  releaseTask(id: string): Promise<ITask> {
    return requestAPI<ITask>(`tasks/${id}/release`, {
      method: 'POST',
      body: {}
    });
  },

  /** A task's timeline, oldest first. */
  async taskTimeline(id: string): Promise<ITimelineEntry[]> {
    return (
      await requestAPI<ICollection<ITimelineEntry>>(`tasks/${id}/timeline`)
    ).items;
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

  /** Every session; with `onPage`, page by page as they arrive. */
  listSessions(onPage?: PageHandler<ISession>): Promise<ISession[]> {
    return listAll<ISession>('sessions', {}, onPage);
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

  /** Type `text` into the session's terminal, then Enter when `submit`. */
  sendInput(id: string, text: string, submit = true): Promise<ISession> {
    return requestAPI<ISession>(`sessions/${id}/input`, {
      method: 'POST',
      body: { text, submit }
    });
  },

  stopSession(id: string): Promise<ISession> {
    return requestAPI<ISession>(`sessions/${id}/stop`, {
      method: 'POST',
      body: {}
    });
  },

  /** The session's changes against its base commit; `stat` leaves the patches out. */
  sessionDiff(id: string, stat = false): Promise<ISessionDiff> {
    return requestAPI<ISessionDiff>(`sessions/${id}/diff`, {
      query: stat ? { stat: true } : {}
    });
  },

  /** Merge the session's worktree into its base branch (409 `merge_conflict` names files). */
  mergeSession(
    id: string,
    strategy: 'merge' | 'squash' = 'merge'
  ): Promise<IMergeResult> {
    return requestAPI<IMergeResult>(`sessions/${id}/merge`, {
      method: 'POST',
      body: { strategy }
    });
  },

  /** Remove the session's worktree and branch. */
  discardSession(id: string): Promise<ISession> {
    return requestAPI<ISession>(`sessions/${id}/discard`, {
      method: 'POST',
      body: {}
    });
  },

  /** A new session that resumes an ended one's agent conversation. */
  resumeSession(id: string): Promise<ISession> {
    return requestAPI<ISession>(`sessions/${id}/resume`, {
      method: 'POST',
      body: {},
      headers: createHeaders()
    });
  },

  async listProjects(): Promise<IProject[]> {
    return (await requestAPI<ICollection<IProject>>('projects')).items;
  },

  status(): Promise<IServerStatus> {
    return requestAPI<IServerStatus>('status');
  },

  /** The server's last event number: where a client with no history starts listening. */
  async lastSeq(): Promise<number> {
    return (await MaestroAPI.status()).lastSeq ?? 0;
  }
};
