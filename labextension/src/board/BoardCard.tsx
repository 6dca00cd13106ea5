/**
 * A task on the main-area board: one compact card (priority, title on two lines at most,
 * labels, subtasks done, its sessions' states, "needs you"; who made it on hover). Memoised
 * on the task's entry, so an event re-renders only the card it touches.
 */

import * as React from 'react';

import { taskTooltip } from '../components/TaskHeader';
import { useServerIdentity } from '../identity';
import { ITaskEntry, isEnded } from '../model/boardState';

export const BoardCard = React.memo(function BoardCard(props: {
  entry: ITaskEntry;
  selected: boolean;
  onSelect: (taskId: string) => void;
  onOpen: (taskId: string) => void;
}): JSX.Element {
  const { entry, selected, onSelect, onOpen } = props;
  const { task, subtasks, sessions } = entry;
  const identity = useServerIdentity();
  const live = sessions.filter(session => !isEnded(session));
  // Another server's session waits for its owner, not for the person at this board.
  const needsYou = live.some(
    session => session.status === 'needs_input' && !identity.isForeign(session)
  );
  const done = subtasks.filter(subtask => subtask.completed).length;
  return (
    <div
      className={`maestro-BoardCard${selected ? ' maestro-mod-selected' : ''}${needsYou ? ' maestro-mod-needsYou' : ''}`}
      data-task-id={task.id}
      data-status={task.status}
      role="option"
      aria-selected={selected}
      tabIndex={selected ? 0 : -1}
      title={taskTooltip(task, true)}
      onClick={() => onSelect(task.id)}
      onDoubleClick={() => onOpen(task.id)}
    >
      <div className="maestro-BoardCardTitle">
        <span className={`maestro-Dot maestro-priority-${task.priority}`} />
        {task.title}
      </div>
      <div className="maestro-BoardCardMeta">
        {needsYou && <span className="maestro-NeedsYouMark">needs you</span>}
        {subtasks.length > 0 && (
          <span className="maestro-Meta">
            {done}/{subtasks.length}
          </span>
        )}
        {live.map(session => (
          <span
            key={session.id}
            className={`maestro-SessionDot maestro-status-${session.status}${identity.isForeign(session) ? ' maestro-mod-foreign' : ''}`}
            title={`${session.name} (${session.role}, ${session.agent}): ${session.status.replace('_', ' ')}${identity.isForeign(session) ? `\n${identity.ownerCaption(session)}` : ''}`}
          />
        ))}
        {(task.labels ?? []).slice(0, 3).map(label => (
          <span key={label} className="maestro-Label">
            {label}
          </span>
        ))}
      </div>
    </div>
  );
});
