/**
 * The wire types of Maestro's REST API and event stream (camelCase, see docs/api.md); their
 * words come from `vocabulary.ts`.
 */

import {
  Priority,
  Role,
  SessionStatus,
  SpawnSource,
  TaskStatus
} from './vocabulary';

export interface ISubtask {
  id: string;
  taskId: string;
  title: string;
  description?: string;
  completed: boolean;
  position: number;
  createdAt?: string;
  updatedAt?: string;
  completedAt?: string | null;
  version: number;
}

export interface ITask {
  id: string;
  projectId: string;
  parentId: string | null;
  title: string;
  description: string;
  status: TaskStatus;
  priority: Priority;
  blockedReason: string | null;
  dependencies?: string[];
  labels?: string[];
  sessionIds: string[];
  subtaskCount?: number;
  subtasksCompleted?: number;
  createdAt: string;
  updatedAt: string;
  startedAt?: string | null;
  completedAt?: string | null;
  version: number;
  /** Present when asked for (`include=subtasks`); the board keeps subtasks apart. */
  subtasks?: ISubtask[];
}

export interface ISession {
  id: string;
  projectId: string;
  name: string;
  taskIds: string[];
  role: Role;
  agent: string;
  status: SessionStatus;
  terminalName: string;
  spawnSource?: SpawnSource;
  createdAt: string;
  endedAt?: string | null;
  version: number;
}

export interface ICollection<T> {
  items: T[];
  nextCursor?: string | null;
}

/** One message of the `maestro/api/events` stream. */
export interface IMaestroEvent<T = any> {
  seq: number;
  event: string;
  data: T;
  timestamp: string;
}

export interface ISpawnRequest {
  session: ISession;
  terminalName: string;
}
