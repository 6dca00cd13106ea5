/** Which session holds a claimed task, with its status, and a way to take the task back. */

import * as React from 'react';

import { BoardModel } from '../model/boardModel';
import { IClaim } from '../model/boardState';
import { attempt } from './attempt';

export function TaskClaim(props: {
  taskId: string;
  claim: IClaim;
  model: BoardModel;
}): JSX.Element {
  const { claim, model } = props;
  const session = claim.session;
  return (
    <div className="maestro-Claim" data-claimed-by={claim.sessionId}>
      <span className="maestro-ClaimLabel">Claimed by</span>
      <span
        className="maestro-ClaimHolder"
        title={
          session
            ? `${session.name} (${session.role}, ${session.agent})${claim.at ? `, since ${new Date(claim.at).toLocaleString()}` : ''}`
            : claim.sessionId
        }
      >
        {session?.name ?? claim.sessionId}
      </span>
      {session && (
        <span className={`maestro-Badge maestro-status-${session.status}`}>
          {session.status.replace('_', ' ')}
        </span>
      )}
      <button
        className="maestro-LinkButton"
        title="Take the task back from this session"
        onClick={() =>
          void attempt('Releasing the task', () =>
            model.releaseTask(props.taskId)
          )
        }
      >
        Release
      </button>
    </div>
  );
}
