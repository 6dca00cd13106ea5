/**
 * The Maestro sidebar's React view: a new-task form, tasks grouped by status with their
 * subtasks and sessions, and the running sessions. Forms keep what was typed until the server
 * accepts it; every refusal is shown as a notification.
 */

import { InputDialog } from '@jupyterlab/apputils';
import * as React from 'react';

import { MaestroAPI } from '../api';
import { notifyError } from '../request';
import {
  ENDED_SESSION_STATUSES,
  ISession,
  ISubtask,
  ITask,
  Priority,
  PRIORITIES,
  SessionRole,
  TaskStatus,
  TASK_STATUSES
} from '../types';
import { BoardModel } from './model';

export interface IBoardActions {
  openSession(session: ISession): Promise<void>;
  spawn(taskIds: string[], role: SessionRole, agent: string): Promise<void>;
}

const STATUS_LABELS: Record<TaskStatus, string> = {
  in_progress: 'In progress',
  blocked: 'Blocked',
  todo: 'To do',
  completed: 'Completed',
  cancelled: 'Cancelled'
};

const FOLDED_BY_DEFAULT: ReadonlyArray<TaskStatus> = ['completed', 'cancelled'];

function byPriorityThenAge(a: ITask, b: ITask): number {
  const rank = PRIORITIES.indexOf(a.priority) - PRIORITIES.indexOf(b.priority);
  return rank || a.createdAt.localeCompare(b.createdAt);
}

function isEnded(session: ISession): boolean {
  return ENDED_SESSION_STATUSES.includes(session.status);
}

/** Run a server action; report a refusal and answer whether it succeeded. */
async function attempt(
  action: string,
  call: () => Promise<unknown>
): Promise<boolean> {
  try {
    await call();
    return true;
  } catch (error) {
    notifyError(action, error);
    return false;
  }
}

function useModel(model: BoardModel): void {
  const [, setTick] = React.useState(0);
  React.useEffect(() => {
    const update = () => setTick(tick => tick + 1);
    model.changed.connect(update);
    return () => {
      model.changed.disconnect(update);
    };
  }, [model]);
}

function PrioritySelect(props: {
  value: Priority;
  onChange: (priority: Priority) => void;
  label: string;
}): JSX.Element {
  return (
    <select
      className="maestro-Select"
      aria-label={props.label}
      value={props.value}
      onChange={event => props.onChange(event.target.value as Priority)}
    >
      {PRIORITIES.map(priority => (
        <option key={priority} value={priority}>
          {priority}
        </option>
      ))}
    </select>
  );
}

function NewTaskForm(): JSX.Element {
  const [title, setTitle] = React.useState('');
  const [description, setDescription] = React.useState('');
  const [priority, setPriority] = React.useState<Priority>('medium');
  const [busy, setBusy] = React.useState(false);

  const submit = async (event: React.FormEvent) => {
    event.preventDefault();
    setBusy(true);
    const created = await attempt('Creating the task', () =>
      MaestroAPI.createTask({ title, description, priority })
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
          disabled={busy}
        >
          Add task
        </button>
      </div>
    </form>
  );
}

function SubtaskItem(props: { subtask: ISubtask }): JSX.Element {
  const { subtask } = props;
  const [busy, setBusy] = React.useState(false);
  const toggle = async () => {
    setBusy(true);
    await attempt('Updating the subtask', () =>
      MaestroAPI.setSubtaskCompleted(
        subtask.taskId,
        subtask.id,
        !subtask.completed
      )
    );
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

function AddSubtaskForm(props: { taskId: string }): JSX.Element {
  const [title, setTitle] = React.useState('');
  const submit = async (event: React.FormEvent) => {
    event.preventDefault();
    if (
      await attempt('Adding the subtask', () =>
        MaestroAPI.createSubtask(props.taskId, title)
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

function EditTaskForm(props: { task: ITask; onDone: () => void }): JSX.Element {
  const { task } = props;
  const [title, setTitle] = React.useState(task.title);
  const [description, setDescription] = React.useState(task.description ?? '');
  const [priority, setPriority] = React.useState<Priority>(task.priority);
  const [status, setStatus] = React.useState<TaskStatus>(task.status);
  // The version the person started from: someone else's change in between is a conflict (412).
  const [baseVersion] = React.useState(task.version);

  const submit = async (event: React.FormEvent) => {
    event.preventDefault();
    if (
      await attempt('Saving the task', () =>
        MaestroAPI.updateTask(
          task.id,
          {
            title,
            description,
            priority,
            ...(status !== task.status ? { status } : {})
          },
          baseVersion
        )
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
          {TASK_STATUSES.filter(
            // Blocking needs a reason: that is the Block action's job.
            option => option !== 'blocked' || task.status === 'blocked'
          ).map(option => (
            <option key={option} value={option}>
              {STATUS_LABELS[option]}
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

function SpawnForm(props: {
  task: ITask;
  model: BoardModel;
  actions: IBoardActions;
  onDone: () => void;
}): JSX.Element {
  const listId = `maestro-agents-${props.task.id}`;
  const [role, setRole] = React.useState<SessionRole>('worker');
  const [agent, setAgent] = React.useState('');
  const [busy, setBusy] = React.useState(false);
  const submit = async (event: React.FormEvent) => {
    event.preventDefault();
    setBusy(true);
    const spawned = await attempt('Spawning a session', () =>
      props.actions.spawn([props.task.id], role, agent.trim())
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
          onChange={event => setRole(event.target.value as SessionRole)}
        >
          <option value="worker">worker</option>
          <option value="orchestrator">orchestrator</option>
        </select>
        <input
          className="maestro-Input"
          aria-label="Agent"
          placeholder={`agent (${props.model.defaultAgent || 'default'})`}
          list={listId}
          value={agent}
          onChange={event => setAgent(event.target.value)}
        />
        <datalist id={listId}>
          {props.model.agents.map(name => (
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

function SessionItem(props: {
  session: ISession;
  actions: IBoardActions;
}): JSX.Element {
  const { session, actions } = props;
  const ended = isEnded(session);
  return (
    <li className="maestro-Session" data-session-id={session.id}>
      <span className={`maestro-Badge maestro-status-${session.status}`}>
        {session.status.replace('_', ' ')}
      </span>
      <span
        className="maestro-SessionName"
        title={`${session.role}, ${session.agent}`}
      >
        {session.name}
      </span>
      <button
        className="maestro-LinkButton"
        title="Open the session's terminal"
        onClick={() => void actions.openSession(session)}
      >
        Open
      </button>
      {!ended && (
        <button
          className="maestro-LinkButton"
          title="Stop the session"
          onClick={() =>
            void attempt('Stopping the session', () =>
              MaestroAPI.stopSession(session.id)
            )
          }
        >
          Stop
        </button>
      )}
    </li>
  );
}

async function askReasonAndBlock(task: ITask): Promise<void> {
  let reason = '';
  // A refused reason is offered again as typed, so nothing is lost to an error.
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
      await attempt('Blocking the task', () =>
        MaestroAPI.blockTask(task.id, reason)
      )
    ) {
      return;
    }
  }
}

function TaskCard(props: {
  task: ITask;
  model: BoardModel;
  actions: IBoardActions;
}): JSX.Element {
  const { task, model, actions } = props;
  const [mode, setMode] = React.useState<'view' | 'edit' | 'spawn'>('view');
  const subtasks = model.subtasksOf(task.id);
  const sessions = model.sessionsOf(task.id);
  const done = subtasks.filter(subtask => subtask.completed).length;
  const closed = task.status === 'completed' || task.status === 'cancelled';

  return (
    <li
      className="maestro-Task"
      data-task-id={task.id}
      data-status={task.status}
    >
      {mode === 'edit' ? (
        <EditTaskForm task={task} onDone={() => setMode('view')} />
      ) : (
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
      )}
      {subtasks.length > 0 && (
        <ul className="maestro-Subtasks">
          {subtasks.map(subtask => (
            <SubtaskItem key={subtask.id} subtask={subtask} />
          ))}
        </ul>
      )}
      {!closed && <AddSubtaskForm taskId={task.id} />}
      {sessions.length > 0 && (
        <ul className="maestro-Sessions">
          {sessions.map(session => (
            <SessionItem key={session.id} session={session} actions={actions} />
          ))}
        </ul>
      )}
      {mode === 'spawn' && (
        <SpawnForm
          task={task}
          model={model}
          actions={actions}
          onDone={() => setMode('view')}
        />
      )}
      {mode === 'view' && (
        <div className="maestro-Actions">
          <button
            className="maestro-LinkButton"
            onClick={() => setMode('edit')}
          >
            Edit
          </button>
          {!closed && (
            <>
              <button
                className="maestro-LinkButton"
                onClick={() =>
                  void attempt('Completing the task', () =>
                    MaestroAPI.completeTask(task.id)
                  )
                }
              >
                Complete
              </button>
              {task.status !== 'blocked' && (
                <button
                  className="maestro-LinkButton"
                  onClick={() => void askReasonAndBlock(task)}
                >
                  Block
                </button>
              )}
              <button
                className="maestro-LinkButton"
                onClick={() => setMode('spawn')}
              >
                Spawn session
              </button>
            </>
          )}
        </div>
      )}
    </li>
  );
}

function StatusGroup(props: {
  status: TaskStatus;
  tasks: ITask[];
  model: BoardModel;
  actions: IBoardActions;
}): JSX.Element {
  const [open, setOpen] = React.useState(
    !FOLDED_BY_DEFAULT.includes(props.status)
  );
  return (
    <section className="maestro-Group" data-group={props.status}>
      <h3 className="maestro-GroupHeader" onClick={() => setOpen(!open)}>
        <span className="maestro-Caret">{open ? '▾' : '▸'}</span>
        {STATUS_LABELS[props.status]}{' '}
        <span className="maestro-Count">{props.tasks.length}</span>
      </h3>
      {open && (
        <ul className="maestro-Tasks">
          {props.tasks.map(task => (
            <TaskCard
              key={task.id}
              task={task}
              model={props.model}
              actions={props.actions}
            />
          ))}
        </ul>
      )}
    </section>
  );
}

export function MaestroBoard(props: {
  model: BoardModel;
  actions: IBoardActions;
}): JSX.Element {
  const { model, actions } = props;
  useModel(model);

  const tasks = [...model.tasks.values()].sort(byPriorityThenAge);
  const sessions = [...model.sessions.values()].sort(
    (a, b) =>
      Number(isEnded(a)) - Number(isEnded(b)) ||
      b.createdAt.localeCompare(a.createdAt)
  );
  const liveSessions = sessions.filter(session => !isEnded(session));

  return (
    <div className="maestro-Board">
      <header className="maestro-Header">
        <h2>Maestro</h2>
        <span
          className={`maestro-Connection ${model.isConnected ? 'maestro-mod-live' : ''}`}
          title={model.isConnected ? 'Live' : 'Reconnecting to the server…'}
        >
          {model.isConnected ? 'live' : 'offline'}
        </span>
      </header>
      <NewTaskForm />
      {model.loadError && (
        <div className="maestro-Error">
          Cannot load the board: {model.loadError}
        </div>
      )}
      {!model.isLoaded && !model.loadError && (
        <div className="maestro-Empty">Loading…</div>
      )}
      {model.isLoaded && tasks.length === 0 && (
        <div className="maestro-Empty">No tasks yet.</div>
      )}
      {TASK_STATUSES.map(status => {
        const group = tasks.filter(task => task.status === status);
        return group.length ? (
          <StatusGroup
            key={status}
            status={status}
            tasks={group}
            model={model}
            actions={actions}
          />
        ) : null;
      })}
      {liveSessions.length > 0 && (
        <section className="maestro-Group" data-group="sessions">
          <h3 className="maestro-GroupHeader">
            Running sessions{' '}
            <span className="maestro-Count">{liveSessions.length}</span>
          </h3>
          <ul className="maestro-Sessions">
            {liveSessions.map(session => (
              <SessionItem
                key={session.id}
                session={session}
                actions={actions}
              />
            ))}
          </ul>
        </section>
      )}
    </div>
  );
}
