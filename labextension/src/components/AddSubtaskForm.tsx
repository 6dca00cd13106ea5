/** The "add a subtask" field under a task; Enter adds it. */

import * as React from 'react';

import { BoardModel } from '../model/boardModel';
import { attempt } from './attempt';

export function AddSubtaskForm(props: {
  taskId: string;
  model: BoardModel;
}): JSX.Element {
  const [title, setTitle] = React.useState('');
  const submit = async (event: React.FormEvent) => {
    event.preventDefault();
    if (
      await attempt('Adding the subtask', () =>
        props.model.addSubtask(props.taskId, title)
      )
    ) {
      setTitle('');
    }
  };
  return (
    <form className="maestro-AddSubtask" onSubmit={submit}>
      <input
        className="maestro-Input"
        aria-label="New subtask title"
        placeholder="Add a subtask…"
        value={title}
        onChange={event => setTitle(event.target.value)}
      />
    </form>
  );
}
