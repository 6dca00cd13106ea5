/**
 * Spawn a session for a task: its role and agent (the server's agents are suggested). A task
 * with unmet dependencies, or held by a live session, is refused with a Force offer.
 */

import * as React from 'react';

import { BoardModel } from '../model/boardModel';
import { ITask } from '../types';
import { ROLES, Role } from '../vocabulary';
import { attemptForcible } from './attempt';

export function SpawnForm(props: {
  task: ITask;
  model: BoardModel;
  onDone: () => void;
}): JSX.Element {
  const { task, model } = props;
  const listId = `maestro-agents-${task.id}`;
  const [role, setRole] = React.useState<Role>('worker');
  const [agent, setAgent] = React.useState('');
  const [busy, setBusy] = React.useState(false);
  const submit = async (event: React.FormEvent) => {
    event.preventDefault();
    setBusy(true);
    const spawned = await attemptForcible(
      model,
      'Spawning a session',
      force =>
        model.spawn({ taskIds: [task.id], role, agent: agent.trim(), force }),
      props.onDone
    );
    setBusy(false);
    if (spawned) {
      props.onDone();
    }
  };
  return (
    <form className="maestro-SpawnForm" onSubmit={submit}>
      <div className="maestro-Row">
        <select
          className="maestro-Select"
          aria-label="Session role"
          value={role}
          onChange={event => setRole(event.target.value as Role)}
        >
          {ROLES.map(option => (
            <option key={option} value={option}>
              {option}
            </option>
          ))}
        </select>
        <input
          className="maestro-Input"
          aria-label="Agent"
          placeholder={`agent (${model.defaultAgent || 'default'})`}
          list={listId}
          value={agent}
          onChange={event => setAgent(event.target.value)}
        />
        <datalist id={listId}>
          {model.agents.map(name => (
            <option key={name} value={name} />
          ))}
        </datalist>
      </div>
      <div className="maestro-Row">
        <button
          type="submit"
          className="jp-Button jp-mod-styled jp-mod-accept maestro-Button"
          disabled={busy}
        >
          Spawn
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
