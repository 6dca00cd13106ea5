/**
 * Spawn a session for a task: its role and agent (a list of the server's agents, shown on
 * focus, when it names them). A task
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
        {model.agents.length ? (
          // The server's agents as a list whose choices show as soon as it has the focus.
          <select
            className="maestro-Select"
            aria-label="Agent"
            value={agent}
            onChange={event => setAgent(event.target.value)}
          >
            <option value="">
              {model.defaultAgent
                ? `${model.defaultAgent} (default)`
                : 'default agent'}
            </option>
            {model.agents
              .filter(name => name !== model.defaultAgent)
              .map(name => (
                <option key={name} value={name}>
                  {name}
                </option>
              ))}
          </select>
        ) : (
          <input
            className="maestro-Input"
            aria-label="Agent"
            placeholder="Agent"
            title={`The agent to run (default: ${model.defaultAgent || "the server's"})`}
            value={agent}
            onChange={event => setAgent(event.target.value)}
          />
        )}
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
