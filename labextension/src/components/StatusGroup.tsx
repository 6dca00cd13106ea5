/** The tasks in one status under a header that folds them (closed work starts folded). */

import * as React from 'react';

import { BoardModel } from '../model/boardModel';
import { TASK_STATUS_TITLES, TaskStatus } from '../vocabulary';
import { FOLDED_BY_DEFAULT } from './statusOrder';
import { TaskCard } from './TaskCard';

export function StatusGroup(props: {
  status: TaskStatus;
  taskIds: readonly string[];
  model: BoardModel;
}): JSX.Element {
  const { status, taskIds, model } = props;
  const [open, setOpen] = React.useState(!FOLDED_BY_DEFAULT.includes(status));
  return (
    <section className="maestro-Group" data-group={status}>
      <h3 className="maestro-GroupHeader" onClick={() => setOpen(!open)}>
        <span className="maestro-Caret">{open ? '▾' : '▸'}</span>
        {TASK_STATUS_TITLES[status]}{' '}
        <span className="maestro-Count">{taskIds.length}</span>
      </h3>
      {open && (
        <ul className="maestro-Tasks">
          {taskIds.map(id => {
            const entry = model.state.entry(id);
            return entry ? (
              <TaskCard key={id} entry={entry} model={model} />
            ) : null;
          })}
        </ul>
      )}
    </section>
  );
}
