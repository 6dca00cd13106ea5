/** A task's subtasks as checkboxes; a box turns once the server has answered. */

import * as React from 'react';

import { BoardModel } from '../model/boardModel';
import { ISubtask } from '../types';
import { attempt } from './attempt';

function SubtaskItem(props: {
  subtask: ISubtask;
  model: BoardModel;
}): JSX.Element {
  const { subtask, model } = props;
  const [busy, setBusy] = React.useState(false);
  const toggle = async () => {
    setBusy(true);
    await attempt('Updating the subtask', () => model.toggleSubtask(subtask));
    setBusy(false);
  };
  return (
    <li className="maestro-Subtask" data-subtask-id={subtask.id}>
      <label>
        <input
          type="checkbox"
          checked={subtask.completed}
          disabled={busy}
          onChange={toggle}
        />
        <span className={subtask.completed ? 'maestro-mod-done' : ''}>
          {subtask.title}
        </span>
      </label>
    </li>
  );
}

export function SubtaskList(props: {
  subtasks: readonly ISubtask[];
  model: BoardModel;
}): JSX.Element {
  return (
    <ul className="maestro-Subtasks">
      {props.subtasks.map(subtask => (
        <SubtaskItem key={subtask.id} subtask={subtask} model={props.model} />
      ))}
    </ul>
  );
}
