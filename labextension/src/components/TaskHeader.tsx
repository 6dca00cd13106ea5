/** A task's first lines: priority, title (description on hover), subtasks done, why blocked. */

import * as React from 'react';

import { ITaskEntry } from '../model/boardState';

export function TaskHeader(props: { entry: ITaskEntry }): JSX.Element {
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
