/**
 * A task's edit form (title, description, priority, status). It is sent with the version the
 * person started from, so someone else's change in between is refused (412), not overwritten.
 * Starting or completing it while its dependencies are unmet is refused with a Force offer.
 */

import * as React from 'react';

import { BoardModel } from '../model/boardModel';
import { ITask } from '../types';
import { Priority, TASK_STATUS_TITLES, TaskStatus } from '../vocabulary';
import { attemptForcible } from './attempt';
import { BOARD_STATUS_ORDER } from './statusOrder';
import { PrioritySelect } from './PrioritySelect';

export function EditTaskForm(props: {
  task: ITask;
  model: BoardModel;
  onDone: () => void;
}): JSX.Element {
  const { task } = props;
  const [title, setTitle] = React.useState(task.title);
  const [description, setDescription] = React.useState(task.description ?? '');
  const [priority, setPriority] = React.useState<Priority>(task.priority);
  const [status, setStatus] = React.useState<TaskStatus>(task.status);
  const [baseVersion] = React.useState(task.version);

  const submit = async (event: React.FormEvent) => {
    event.preventDefault();
    const changes = {
      title,
      description,
      priority,
      ...(status !== task.status ? { status } : {})
    };
    if (
      await attemptForcible(
        props.model,
        'Saving the task',
        force =>
          props.model.updateTask(task.id, changes, baseVersion, { force }),
        props.onDone
      )
    ) {
      props.onDone();
    }
  };
  return (
    <form className="maestro-EditTask" onSubmit={submit}>
      <input
        className="maestro-Input"
        aria-label="Task title"
        value={title}
        onChange={event => setTitle(event.target.value)}
      />
      <textarea
        className="maestro-Input"
        aria-label="Task description"
        rows={3}
        value={description}
        onChange={event => setDescription(event.target.value)}
      />
      <div className="maestro-Row">
        <PrioritySelect
          label="Task priority"
          value={priority}
          onChange={setPriority}
        />
        <select
          className="maestro-Select"
          aria-label="Task status"
          value={status}
          onChange={event => setStatus(event.target.value as TaskStatus)}
        >
          {BOARD_STATUS_ORDER.filter(
            // Blocking needs a reason: that is the Block action's job.
            option => option !== 'blocked' || task.status === 'blocked'
          ).map(option => (
            <option key={option} value={option}>
              {TASK_STATUS_TITLES[option]}
            </option>
          ))}
        </select>
      </div>
      <div className="maestro-Row">
        <button
          type="submit"
          className="jp-Button jp-mod-styled jp-mod-accept maestro-Button"
        >
          Save
        </button>
        <button
          type="button"
          className="jp-Button jp-mod-styled jp-mod-reject maestro-Button"
          onClick={props.onDone}
        >
          Cancel
        </button>
      </div>
    </form>
  );
}
