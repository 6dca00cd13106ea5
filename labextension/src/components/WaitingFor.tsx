/** The dependencies that still hold a task back: while there are any, the task waits. */

import * as React from 'react';

import { IDependency } from '../types';
import { TASK_STATUS_TITLES } from '../vocabulary';

export function WaitingFor(props: {
  dependencies: readonly IDependency[];
}): JSX.Element {
  return (
    <div className="maestro-Waiting">
      <span className="maestro-WaitingLabel">Waiting for</span>{' '}
      {props.dependencies.map((dependency, index) => (
        <React.Fragment key={dependency.id}>
          {index > 0 && ', '}
          <span
            className="maestro-Dependency"
            data-dependency-id={dependency.id}
            title={`${dependency.title}: ${TASK_STATUS_TITLES[dependency.status] ?? dependency.status}`}
          >
            {dependency.title}
          </span>
        </React.Fragment>
      ))}
    </div>
  );
}
