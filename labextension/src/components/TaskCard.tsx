/**
 * A task's card: header (or its edit form), the session that holds it, what it waits for,
 * subtasks, "add a subtask", sessions, latest timeline entries, and actions (or the spawn
 * form). Memoised on the task's entry, which the model replaces only when one of the task's
 * rows changes; its timeline is read the first time the card comes into view.
 */

import * as React from 'react';

import { BoardModel } from '../model/boardModel';
import { isClosed, ITaskEntry } from '../model/boardState';
import { AddSubtaskForm } from './AddSubtaskForm';
import { EditTaskForm } from './EditTaskForm';
import { RecentEntries } from './RecentEntries';
import { SessionList } from './SessionRow';
import { SpawnForm } from './SpawnForm';
import { SubtaskList } from './SubtaskList';
import { TaskActions } from './TaskActions';
import { TaskClaim } from './TaskClaim';
import { TaskHeader } from './TaskHeader';
import { useOnceVisible } from './useOnceVisible';
import { WaitingFor } from './WaitingFor';

export const TaskCard = React.memo(function TaskCard(props: {
  entry: ITaskEntry;
  model: BoardModel;
}): JSX.Element {
  const { entry, model } = props;
  const { task, subtasks, sessions, claim, unmetDependencies, recentEntries } =
    entry;
  const [mode, setMode] = React.useState<'view' | 'edit' | 'spawn'>('view');
  const backToView = React.useCallback(() => setMode('view'), []);
  const ref = useOnceVisible<HTMLLIElement>(() =>
    model.loadRecentEntries(task.id)
  );
  const closed = isClosed(task);
  const waiting = !closed && unmetDependencies.length > 0;

  return (
    <li
      ref={ref}
      className={`maestro-Task ${waiting ? 'maestro-mod-waiting' : ''}`}
      data-task-id={task.id}
      data-status={task.status}
      data-waiting={waiting || undefined}
    >
      {mode === 'edit' ? (
        <EditTaskForm task={task} model={model} onDone={backToView} />
      ) : (
        <TaskHeader entry={entry} waiting={waiting} />
      )}
      {claim && <TaskClaim taskId={task.id} claim={claim} model={model} />}
      {waiting && <WaitingFor dependencies={unmetDependencies} />}
      {subtasks.length > 0 && <SubtaskList subtasks={subtasks} model={model} />}
      {!closed && <AddSubtaskForm taskId={task.id} model={model} />}
      {sessions.length > 0 && <SessionList sessions={sessions} model={model} />}
      {recentEntries.length > 0 && (
        <RecentEntries entries={recentEntries} model={model} />
      )}
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
