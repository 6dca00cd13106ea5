/**
 * Maestro's words: statuses, priorities, roles and timeline kinds. A copy of
 * maestro_jupyter/vocabulary.py, kept equal to it by tests/test_vocabulary.py: change both.
 */

export const TASK_STATUSES = [
  'todo',
  'in_progress',
  'blocked',
  'completed',
  'cancelled'
] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

export const PRIORITIES = ['low', 'medium', 'high', 'urgent'] as const;
export type Priority = (typeof PRIORITIES)[number];

export const SESSION_STATUSES = [
  'spawning',
  'running',
  'needs_input',
  'completed',
  'failed',
  'stopped'
] as const;
export type SessionStatus = (typeof SESSION_STATUSES)[number];

export const ROLES = ['worker', 'orchestrator'] as const;
export type Role = (typeof ROLES)[number];

export const SPAWN_SOURCES = [
  'ui',
  'cli',
  'notebook',
  'session',
  'api'
] as const;
export type SpawnSource = (typeof SPAWN_SOURCES)[number];

export const TIMELINE_KINDS = [
  'progress',
  'blocked',
  'needs_input',
  'milestone',
  'error',
  'status',
  'message',
  'claim'
] as const;
export type TimelineKind = (typeof TIMELINE_KINDS)[number];

export const ACTIVITIES = ['working', 'idle', 'unknown'] as const;
export type Activity = (typeof ACTIVITIES)[number];

export const ACTIVITY_SOURCES = ['hook', 'output'] as const;
export type ActivitySource = (typeof ACTIVITY_SOURCES)[number];

export const ISOLATIONS = ['worktree', 'none'] as const;
export type Isolation = (typeof ISOLATIONS)[number];

/** A session in one of these has a live agent (or is about to); the others are final. */
export const ACTIVE_SESSION_STATUSES: readonly SessionStatus[] = [
  'spawning',
  'running',
  'needs_input'
];
/** Sessions in these states have no agent any more: their terminal would be a fresh shell. */
export const ENDED_SESSION_STATUSES: readonly SessionStatus[] = [
  'completed',
  'failed',
  'stopped'
];
/** A dependency in one of these no longer holds back the tasks that depend on it (a cancelled
 * one counts as met: nothing will ever complete it). */
export const RESOLVED_TASK_STATUSES: readonly TaskStatus[] = [
  'completed',
  'cancelled'
];

/** Most urgent first, for sorting. */
export const PRIORITY_RANK: Readonly<Record<Priority, number>> = {
  urgent: 0,
  high: 1,
  medium: 2,
  low: 3
};

export const TASK_STATUS_TITLES: Readonly<Record<TaskStatus, string>> = {
  todo: 'To do',
  in_progress: 'In progress',
  blocked: 'Blocked',
  completed: 'Completed',
  cancelled: 'Cancelled'
};
