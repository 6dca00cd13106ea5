/**
 * What the board says about its data instead of (or above) its tasks: loading, empty, cannot
 * load, or the server's own words when it cannot use its store. Never a blank board.
 */

import * as React from 'react';

import { BoardModel } from '../model/boardModel';
import { TASK_STATUSES } from '../vocabulary';

export function LoadNotice(props: { model: BoardModel }): JSX.Element | null {
  const { model } = props;
  if (model.storeFault) {
    return (
      <div className="maestro-StoreFault" role="alert">
        <div className="maestro-StoreFaultTitle">
          Maestro cannot use its store
        </div>
        <div className="maestro-StoreFaultMessage">
          {model.storeFault.message}
        </div>
        <div className="maestro-StoreFaultHint">
          Tasks and sessions come back once the server can use it again.
        </div>
        <button
          className="jp-Button jp-mod-styled maestro-Button"
          onClick={() => void model.reload()}
        >
          Retry
        </button>
      </div>
    );
  }
  if (model.loadError) {
    return (
      <div className="maestro-Error">
        Cannot load the board: {model.loadError}
      </div>
    );
  }
  if (!model.isLoaded) {
    return <div className="maestro-Empty">Loading…</div>;
  }
  const project = model.project;
  if (!project && model.state.tasks.size === 0) {
    return <div className="maestro-Empty">No tasks yet.</div>;
  }
  if (
    project &&
    TASK_STATUSES.every(
      status => !model.state.taskIdsWithStatus(status, project.id).length
    )
  ) {
    return <div className="maestro-Empty">No tasks in {project.name} yet.</div>;
  }
  return null;
}
