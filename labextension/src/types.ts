/**
 * The wire types of Maestro's REST API and event stream (camelCase, see docs/api.md); their
 * words come from `vocabulary.ts`.
 */

import {
  Priority,
  Role,
  SessionStatus,
  SpawnSource,
  TaskStatus,
  TimelineKind
} from './vocabulary';

export interface IProject {
  id: string;
  name: string;
  workingDir: string | null;
  description: string;
  createdAt: string;
  updatedAt: string;
  version: number;
}

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
  /** The session that holds the task (`tasks/claim`), and since when. */
  claimedBy?: string | null;
  claimedAt?: string | null;
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
  /** Null for an agent registered from outside, which Maestro cannot type into. */
  terminalName: string | null;
  spawnSource?: SpawnSource;
  createdAt: string;
  endedAt?: string | null;
  version: number;
}

/** One line of a task's timeline: who (a session, a person) said what, and when. */
export interface ITimelineEntry {
  id: string;
  taskId: string;
  sessionId: string | null;
  kind: TimelineKind;
  message: string;
  /** The session id when written from inside a session, else the Jupyter user's name. */
  actor?: string | null;
  at: string;
}

/** A dependency that still holds a task back, as a 409 `dependencies_unmet` names it. */
export interface IDependency {
  id: string;
  title: string;
  status: TaskStatus;
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
