/**
 * One session: its status, its name (role and agent on hover), Open while it has a terminal,
 * Stop while it runs, and a field to send it a message while its agent can read one (always
 * shown while it needs input, else behind "Send…").
 */

import * as React from 'react';

import { BoardModel } from '../model/boardModel';
import { isEnded } from '../model/boardState';
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

export const SessionRow = React.memo(function SessionRow(props: {
  session: ISession;
  model: BoardModel;
}): JSX.Element {
  const { session, model } = props;
  const [sending, setSending] = React.useState(false);
  const canSend = canSendTo(session);
  const showForm = canSend && (sending || session.status === 'needs_input');
  return (
    <li className="maestro-Session" data-session-id={session.id}>
      <div className="maestro-SessionLine">
        <span className={`maestro-Badge maestro-status-${session.status}`}>
          {session.status.replace('_', ' ')}
        </span>
        <span
          className="maestro-SessionName"
          title={`${session.name} (${session.role}, ${session.agent})`}
        >
          {session.name}
        </span>
        {canSend && !showForm && (
          <button
            className="maestro-LinkButton"
            title="Send a message to the agent, as if typed in its terminal"
            onClick={() => setSending(true)}
          >
            Send…
          </button>
        )}
        {session.terminalName && (
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
        {!isEnded(session) && (
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
      </div>
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
