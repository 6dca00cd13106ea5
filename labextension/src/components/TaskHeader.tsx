/**
 * A task's first lines: priority, title (description and who made it on hover), "waiting"
 * while dependencies hold it back, subtasks done, why blocked.
 */

import * as React from 'react';

import { serverIdentity } from '../identity';
import { ITaskEntry } from '../model/boardState';
import { ITask } from '../types';

/** An actor as the server records it (a user's name or a session id), "you" for this window. */
function actorText(actor: string): string {
  return actor === serverIdentity.you?.name ? 'you' : actor;
}

/** "made by a, changed by b"; empty when the server records no actors. */
export function authorsText(task: ITask): string {
  const made = task.createdBy ? `made by ${actorText(task.createdBy)}` : '';
  const changed =
    task.updatedBy && task.updatedBy !== task.createdBy
      ? `changed by ${actorText(task.updatedBy)}`
      : '';
  return [made, changed].filter(Boolean).join(', ');
}

/** The title's tooltip: the description, then who made and changed the task. */
export function taskTooltip(task: ITask, withTitle: boolean): string {
  return [withTitle ? task.title : '', task.description, authorsText(task)]
    .filter(Boolean)
    .join('\n\n');
}

export function TaskHeader(props: {
  entry: ITaskEntry;
  waiting: boolean;
}): JSX.Element {
  const { task, subtasks } = props.entry;
  const done = subtasks.filter(subtask => subtask.completed).length;
  return (
    <>
      <div className="maestro-TaskHeader">
        <span className={`maestro-Badge maestro-priority-${task.priority}`}>
          {task.priority}
        </span>
        <span className="maestro-TaskTitle" title={taskTooltip(task, false)}>
          {task.title}
        </span>
        {props.waiting && (
          <span
            className="maestro-Badge maestro-mod-waiting"
            title="Its dependencies are not completed yet"
          >
            waiting
          </span>
        )}
        {subtasks.length > 0 && (
          <span className="maestro-Count">
            {done}/{subtasks.length}
          </span>
        )}
      </div>
      {task.status === 'blocked' && task.blockedReason && (
        <div className="maestro-Blocked">Blocked: {task.blockedReason}</div>
      )}
    </>
  );
}
