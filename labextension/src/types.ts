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
  /** Who made the task and who changed it last: a user's name or a session id. */
  createdBy?: string | null;
  updatedBy?: string | null;
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
  /** What the agent is doing, from its hooks or its terminal's output. */
  activity?: 'working' | 'idle' | 'unknown';
  activitySource?: 'hook' | 'output' | null;
  lastOutputAt?: string | null;
  /** `worktree`: the session works in its own git worktree, on its own branch. */
  isolation?: 'worktree' | 'none';
  worktree?: string | null;
  branch?: string | null;
  baseCommit?: string | null;
  resumedFrom?: string | null;
  agentSessionId?: string | null;
  cwd?: string | null;
  /** The user and server that run the session (null: a session older than owners). */
  owner?: ISessionOwner | null;
  createdBy?: string | null;
  createdAt: string;
  endedAt?: string | null;
  version: number;
}

/** Who runs a session: the Jupyter (or JupyterHub) user and their server's id. */
export interface ISessionOwner {
  user: string | null;
  server: string | null;
}

/** `GET status`'s `server`: the server this window talks to. */
export interface IServerIdentity {
  id: string;
  user: string;
}

/** `GET status`'s `you`: who the server takes this window's requests to be. */
export interface ICaller {
  kind: 'user' | 'session';
  name: string;
  sessionId: string | null;
  role: string | null;
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

/** One changed file of a session's worktree (`GET sessions/{id}/diff`). */
export interface IDiffFile {
  path: string;
  oldPath?: string | null;
  status: 'added' | 'modified' | 'deleted' | 'renamed';
  additions: number | null;
  deletions: number | null;
  binary?: boolean;
  tooLarge?: boolean;
  /** The unified diff; absent with `stat`, or for binary and large files. */
  diff?: string | null;
  /** Notebooks: the base notebook and nbdime's diff of it. */
  notebook?: { base: any; diff: any[] } | null;
}

export interface ISessionDiff {
  baseCommit: string | null;
  files: IDiffFile[];
  stats: { files: number; additions: number; deletions: number };
  truncated?: boolean;
}

export interface IMergeResult {
  commit: string;
  merged: boolean;
  strategy: string;
  worktreeCommit: string | null;
  session: ISession;
}
