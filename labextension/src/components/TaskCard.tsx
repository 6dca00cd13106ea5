/**
 * A task's card: header (or its edit form), subtasks, "add a subtask", sessions, and actions
 * (or the spawn form). Memoised on the task's entry, which the model replaces only when one of
 * the task's rows changes.
 */

import * as React from 'react';

import { BoardModel } from '../model/boardModel';
import { isClosed, ITaskEntry } from '../model/boardState';
import { AddSubtaskForm } from './AddSubtaskForm';
import { EditTaskForm } from './EditTaskForm';
import { SessionList } from './SessionRow';
import { SpawnForm } from './SpawnForm';
import { SubtaskList } from './SubtaskList';
import { TaskActions } from './TaskActions';
import { TaskHeader } from './TaskHeader';

export const TaskCard = React.memo(function TaskCard(props: {
  entry: ITaskEntry;
  model: BoardModel;
}): JSX.Element {
  const { entry, model } = props;
  const { task, subtasks, sessions } = entry;
  const [mode, setMode] = React.useState<'view' | 'edit' | 'spawn'>('view');
  const backToView = React.useCallback(() => setMode('view'), []);
  const closed = isClosed(task);

  return (
    <li
      className="maestro-Task"
      data-task-id={task.id}
      data-status={task.status}
    >
      {mode === 'edit' ? (
        <EditTaskForm task={task} model={model} onDone={backToView} />
      ) : (
        <TaskHeader entry={entry} />
      )}
      {subtasks.length > 0 && <SubtaskList subtasks={subtasks} model={model} />}
      {!closed && <AddSubtaskForm taskId={task.id} model={model} />}
      {sessions.length > 0 && <SessionList sessions={sessions} model={model} />}
      {mode === 'spawn' && (
        <SpawnForm task={task} model={model} onDone={backToView} />
      )}
      {mode === 'view' && (
        <TaskActions
          task={task}
          model={model}
          onEdit={() => setMode('edit')}
          onSpawn={() => setMode('spawn')}
        />
      )}
    </li>
  );
});
