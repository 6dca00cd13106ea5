/**
 * A task's actions: Edit, and while it is open Complete (Force offered when its dependencies
 * are unmet), Block (asks why) and Spawn session.
 */

import { InputDialog } from '@jupyterlab/apputils';
import * as React from 'react';

import { BoardModel } from '../model/boardModel';
import { isClosed } from '../model/boardState';
import { ITask } from '../types';
import { askToStop, liveSessionsOf } from '../plugins/sessionActions';
import { attempt, attemptForcible } from './attempt';

/** Complete a task; while sessions still run on it, first ask whether to stop them. */
async function completeAsking(task: ITask, model: BoardModel): Promise<void> {
  const live = liveSessionsOf(model, task.id);
  const answer = live.length ? await askToStop(task, live) : 'keep';
  if (answer === null) {
    return;
  }
  const completed = await attemptForcible(model, 'Completing the task', force =>
    model.completeTask(task.id, { force })
  );
  if (completed && answer === 'stop') {
    for (const session of live) {
      await attempt(`Stopping ${session.name}`, () =>
        model.stopSession(session.id)
      );
    }
  }
}

/** Ask what the task waits for and block it; a refused reason is offered again as typed. */
async function askReasonAndBlock(
  task: ITask,
  model: BoardModel
): Promise<void> {
  let reason = '';
  for (;;) {
    const answer = await InputDialog.getText({
      title: `Block "${task.title}"`,
      label: 'What is it waiting for?',
      text: reason,
      okLabel: 'Block'
    });
    if (!answer.button.accept || answer.value === null) {
      return;
    }
    reason = answer.value;
    if (
      await attempt('Blocking the task', () => model.blockTask(task.id, reason))
    ) {
      return;
    }
  }
}

export function TaskActions(props: {
  task: ITask;
  model: BoardModel;
  onEdit: () => void;
  onSpawn: () => void;
}): JSX.Element {
  const { task, model } = props;
  const closed = isClosed(task);
  return (
    <div className="maestro-Actions">
      <button className="maestro-LinkButton" onClick={props.onEdit}>
        Edit
      </button>
      {!closed && (
        <>
          <button
            className="maestro-LinkButton"
            onClick={() => void completeAsking(task, model)}
          >
            Complete
          </button>
          {task.status !== 'blocked' && (
            <button
              className="maestro-LinkButton"
              onClick={() => void askReasonAndBlock(task, model)}
            >
              Block
            </button>
          )}
          <button className="maestro-LinkButton" onClick={props.onSpawn}>
            Spawn session
          </button>
        </>
      )}
    </div>
  );
}
