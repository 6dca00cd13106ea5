/**
 * "Needs you": the sessions waiting for a person (`needs_input`), at the top of the sidebar
 * and the board, each with its task and what it asked, and a field to answer it. Another
 * server's sessions wait for their owner, not for this window's person.
 */

import * as React from 'react';

import { useServerIdentity } from '../identity';
import { BoardModel } from '../model/boardModel';
import { SessionRow } from './SessionRow';

export function NeedsYou(props: {
  model: BoardModel;
  projectId: string | null;
}): JSX.Element | null {
  const { model, projectId } = props;
  const identity = useServerIdentity();
  const sessions = model.state
    .needsYou(projectId)
    .filter(session => !identity.isForeign(session));
  if (!sessions.length) {
    return null;
  }
  return (
    <section
      className="maestro-Group maestro-NeedsYou"
      data-group="needs-you"
      aria-label="Sessions that need you"
    >
      <h3 className="maestro-GroupHeader">
        Needs you <span className="maestro-Count">{sessions.length}</span>
      </h3>
      <ul className="maestro-Sessions">
        {sessions.map(session => (
          <SessionRow
            key={session.id}
            session={session}
            model={model}
            showTask
          />
        ))}
      </ul>
    </section>
  );
}
