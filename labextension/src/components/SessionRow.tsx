/** One session: its status, its name (role and agent on hover), Open and, while it runs, Stop. */

import * as React from 'react';

import { BoardModel } from '../model/boardModel';
import { isEnded } from '../model/boardState';
import { ISession } from '../types';
import { attempt } from './attempt';

export const SessionRow = React.memo(function SessionRow(props: {
  session: ISession;
  model: BoardModel;
}): JSX.Element {
  const { session, model } = props;
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
        onClick={() =>
          void attempt(`Opening ${session.name}`, () =>
            model.openSession(session)
          )
        }
      >
        Open
      </button>
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
