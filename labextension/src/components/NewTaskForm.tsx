/**
 * The new-task form: title, description and priority; Add stays disabled until a title is
 * typed; cleared once the server took it.
 */

import * as React from 'react';

import { BoardModel } from '../model/boardModel';
import { Priority } from '../vocabulary';
import { attempt } from './attempt';
import { PrioritySelect } from './PrioritySelect';

export function NewTaskForm(props: { model: BoardModel }): JSX.Element {
  const [title, setTitle] = React.useState('');
  const [description, setDescription] = React.useState('');
  const [priority, setPriority] = React.useState<Priority>('medium');
  const [busy, setBusy] = React.useState(false);

  const submit = async (event: React.FormEvent) => {
    event.preventDefault();
    if (!title.trim()) {
      return;
    }
    setBusy(true);
    const created = await attempt('Creating the task', () =>
      props.model.createTask({ title, description, priority })
    );
    setBusy(false);
    if (created) {
      setTitle('');
      setDescription('');
      setPriority('medium');
    }
  };

  return (
    <form className="maestro-NewTask" onSubmit={submit}>
      <input
        className="maestro-Input"
        aria-label="New task title"
        placeholder="New task…"
        value={title}
        onChange={event => setTitle(event.target.value)}
      />
      <textarea
        className="maestro-Input"
        aria-label="New task description"
        placeholder="Description (optional)"
        rows={2}
        value={description}
        onChange={event => setDescription(event.target.value)}
      />
      <div className="maestro-Row">
        <PrioritySelect
          label="New task priority"
          value={priority}
          onChange={setPriority}
        />
        <button
          type="submit"
          className="jp-Button jp-mod-styled jp-mod-accept maestro-Button"
          disabled={busy || !title.trim()}
          title={title.trim() ? 'Add the task' : 'Type a title first'}
        >
          Add task
        </button>
      </div>
    </form>
  );
}
