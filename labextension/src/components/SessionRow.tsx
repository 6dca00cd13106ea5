/**
 * One session: its status and activity, its name (role and agent on hover), optionally its
 * task, its changed-file count when it works in a worktree; Open while it runs with a
 * terminal, Review for a worktree, Resume once ended, Stop while it runs, and a field to send
 * it a message while its agent can read one (always shown while it needs input, else behind
 * "Send…"). A session another server runs shows its owner ("a's server") instead of those:
 * its terminal, worktree and agent are there.
 */

import * as React from 'react';

import { useServerIdentity } from '../identity';
import { BoardModel } from '../model/boardModel';
import { isEnded } from '../model/boardState';
import { resumeSession } from '../plugins/sessionActions';
import { ISession } from '../types';
import { attempt } from './attempt';
import { SendInputForm } from './SendInputForm';

/** Whether Maestro can type into the session's terminal (a registered agent has none). */
function canSendTo(session: ISession): boolean {
  return (
    !!session.terminalName &&
    (session.status === 'running' || session.status === 'needs_input')
  );
}

/** "needs input", "running · working": what a badge says. */
export function sessionStatusText(session: ISession): string {
  const status = session.status.replace('_', ' ');
  return !isEnded(session) &&
    session.activity &&
    session.activity !== 'unknown' &&
    session.status !== 'needs_input'
    ? `${status} · ${session.activity}`
    : status;
}

/** The buttons a session offers, shared by the sidebar's rows and the board's cards. */
export function SessionActions(props: {
  session: ISession;
  model: BoardModel;
}): JSX.Element {
  const { session, model } = props;
  const ended = isEnded(session);
  return (
    <>
      {!ended && session.terminalName && (
        <button
          className="maestro-LinkButton"
          title="Open the session's terminal"
          onClick={() =>
            void attempt(`Opening ${session.name}`, () =>
              model.openSession(session)
            )
          }
        >
          Open
        </button>
      )}
      {session.isolation === 'worktree' && session.worktree && (
        <button
          className="maestro-LinkButton"
          title="Review the session's changes: diff, merge or discard"
          onClick={() =>
            model.requestView({ view: 'review', sessionId: session.id })
          }
        >
          Review
        </button>
      )}
      {ended && session.agentSessionId && (
        <button
          className="maestro-LinkButton"
          title="Resume the agent's conversation in a new session"
          onClick={() => void resumeSession(model, session.id)}
        >
          Resume
        </button>
      )}
      {!ended && (
        <button
          className="maestro-LinkButton"
          title="Stop the session"
          onClick={() =>
            void attempt('Stopping the session', () =>
              model.stopSession(session.id)
            )
          }
        >
          Stop
        </button>
      )}
    </>
  );
}

/** "3 files" changed in the session's worktree, once read (only worktree sessions). */
export function ChangedFiles(props: {
  session: ISession;
  model: BoardModel;
}): JSX.Element | null {
  const { session, model } = props;
  React.useEffect(() => model.loadChangedFiles(session), [session, model]);
  const count = model.changedFiles(session.id);
  if (session.isolation !== 'worktree' || count === undefined) {
    return null;
  }
  return (
    <span
      className="maestro-ChangedFiles"
      title={`${count} changed file${count === 1 ? '' : 's'} in its worktree`}
    >
      {count} file{count === 1 ? '' : 's'}
    </span>
  );
}

export const SessionRow = React.memo(function SessionRow(props: {
  session: ISession;
  model: BoardModel;
  /** Name the session's task (where the row is not under its task's card). */
  showTask?: boolean;
}): JSX.Element {
  const { session, model } = props;
  const identity = useServerIdentity();
  const foreign = identity.isForeign(session);
  const [sending, setSending] = React.useState(false);
  const canSend = !foreign && canSendTo(session);
  const showForm = canSend && (sending || session.status === 'needs_input');
  const task = props.showTask
    ? model.state.tasks.get(session.taskIds[0] ?? '')
    : undefined;
  return (
    <li
      className={`maestro-Session${foreign ? ' maestro-mod-foreign' : ''}`}
      data-session-id={session.id}
      data-status={session.status}
      title={foreign ? identity.ownerCaption(session) : undefined}
    >
      <div className="maestro-SessionLine">
        <span className={`maestro-Badge maestro-status-${session.status}`}>
          {sessionStatusText(session)}
        </span>
        <span
          className="maestro-SessionName"
          title={`${session.name} (${session.role}, ${session.agent}, ${session.status.replace('_', ' ')})${foreign ? `\n${identity.ownerCaption(session)}` : ''}`}
        >
          {session.name}
        </span>
        {foreign ? (
          // Its terminal, worktree and agent are on its owner's server.
          <span className="maestro-Owner">{identity.ownerLabel(session)}</span>
        ) : (
          <ChangedFiles session={session} model={model} />
        )}
        {canSend && !showForm && (
          <button
            className="maestro-LinkButton"
            title="Send a message to the agent, as if typed in its terminal"
            onClick={() => setSending(true)}
          >
            Send…
          </button>
        )}
        {!foreign && <SessionActions session={session} model={model} />}
      </div>
      {task && (
        <div className="maestro-SessionTask" title={task.title}>
          {task.title}
        </div>
      )}
      {showForm && (
        <SendInputForm
          session={session}
          model={model}
          autoFocus={sending}
          onSent={() => setSending(false)}
          onCancel={() => setSending(false)}
        />
      )}
    </li>
  );
});

export function SessionList(props: {
  sessions: readonly ISession[];
  model: BoardModel;
}): JSX.Element {
  return (
    <ul className="maestro-Sessions">
      {props.sessions.map(session => (
        <SessionRow key={session.id} session={session} model={props.model} />
      ))}
    </ul>
  );
}
