/**
 * The wire types of Maestro's REST API and event stream (camelCase, see docs/api.md).
 */

export type TaskStatus =
  | 'todo'
  | 'in_progress'
  | 'blocked'
  | 'completed'
  | 'cancelled';

export type Priority = 'low' | 'medium' | 'high' | 'urgent';

export type SessionStatus =
  | 'spawning'
  | 'running'
  | 'needs_input'
  | 'completed'
  | 'failed'
  | 'stopped';

export type SessionRole = 'worker' | 'orchestrator';

export interface ISubtask {
  id: string;
  taskId: string;
  title: string;
  description?: string;
  completed: boolean;
  position: number;
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
  sessionIds: string[];
  createdAt: string;
  updatedAt: string;
  version: number;
  subtasks?: ISubtask[];
}

export interface ISession {
  id: string;
  projectId: string;
  name: string;
  taskIds: string[];
  role: SessionRole;
  agent: string;
  status: SessionStatus;
  terminalName: string;
  createdAt: string;
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

/** Sessions in these states have no agent any more: their terminal would be a fresh shell. */
export const ENDED_SESSION_STATUSES: ReadonlyArray<SessionStatus> = [
  'completed',
  'failed',
  'stopped'
];

export const TASK_STATUSES: ReadonlyArray<TaskStatus> = [
  'in_progress',
  'blocked',
  'todo',
  'completed',
  'cancelled'
];

export const PRIORITIES: ReadonlyArray<Priority> = [
  'urgent',
  'high',
  'medium',
  'low'
];
