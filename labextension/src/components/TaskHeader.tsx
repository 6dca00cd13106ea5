/**
 * A task's first lines: priority, title (description on hover), "waiting" while dependencies
 * hold it back, subtasks done, why blocked.
 */

import * as React from 'react';

import { ITaskEntry } from '../model/boardState';

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
        <span className="maestro-TaskTitle" title={task.description}>
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
