/**
 * The sidebar's compact board: the project picker, the new-task form, the sessions that need
 * you, then the tasks of the picked project grouped by status and its sessions still running,
 * in one windowed list (only the rows in view are in the DOM). It lays out the shared
 * components; the model does the work. Its widget renders it only while it is shown.
 */

import * as React from 'react';

import {
  BOARD_STATUS_ORDER,
  FOLDED_BY_DEFAULT
} from '../components/statusOrder';
import { ConnectionIndicator } from '../components/ConnectionIndicator';
import { LoadNotice } from '../components/LoadNotice';
import { NeedsYou } from '../components/NeedsYou';
import { NewTaskForm } from '../components/NewTaskForm';
import { ProjectPicker } from '../components/ProjectPicker';
import { SessionRow } from '../components/SessionRow';
import { TaskCard } from '../components/TaskCard';
import { VirtualList } from '../components/VirtualList';
import { BoardModel } from '../model/boardModel';
import { TASK_STATUS_TITLES, TaskStatus } from '../vocabulary';

/** Estimated heights (px) of rows not yet measured. */
const HEADER_HEIGHT = 30;
const CARD_HEIGHT = 120;
const SESSION_HEIGHT = 34;

export function SidebarBoard(props: { model: BoardModel }): JSX.Element {
  const { model } = props;
  const projectId = model.projectId;
  const activeSessions = model.state.activeSessions(projectId);
  const [folded, setFolded] = React.useState<ReadonlySet<string>>(
    () => new Set(FOLDED_BY_DEFAULT)
  );
  const toggle = React.useCallback(
    (group: string) =>
      setFolded(current => {
        const next = new Set(current);
        if (!next.delete(group)) {
          next.add(group);
        }
        return next;
      }),
    []
  );

  // Rows: `g:<group>` a header, `t:<task id>` a card, `s:<session id>` a running session.
  // The groups are the state's cached lists: the rows are rebuilt only when one of them (or
  // the folding) changes, not on every event.
  const groups = BOARD_STATUS_ORDER.map(status =>
    model.state.taskIdsWithStatus(status, projectId)
  );
  const { keys, counts } = React.useMemo(() => {
    const keys: string[] = [];
    const counts = new Map<string, number>();
    BOARD_STATUS_ORDER.forEach((status, index) => {
      const taskIds = groups[index];
      if (!taskIds.length) {
        return;
      }
      counts.set(status, taskIds.length);
      keys.push(`g:${status}`);
      if (!folded.has(status)) {
        for (const id of taskIds) {
          keys.push(`t:${id}`);
        }
      }
    });
    if (activeSessions.length) {
      counts.set('sessions', activeSessions.length);
      keys.push('g:sessions');
      if (!folded.has('sessions')) {
        for (const session of activeSessions) {
          keys.push(`s:${session.id}`);
        }
      }
    }
    return { keys, counts };
  }, [folded, activeSessions, ...groups]);

  const renderRow = (key: string): React.ReactNode => {
    const id = key.slice(2);
    if (key.startsWith('g:')) {
      return (
        <h3
          className="maestro-GroupHeader"
          data-group={id}
          onClick={() => toggle(id)}
        >
          <span className="maestro-Caret">{folded.has(id) ? '▸' : '▾'}</span>
          {id === 'sessions'
            ? 'Running sessions'
            : TASK_STATUS_TITLES[id as TaskStatus]}{' '}
          <span className="maestro-Count">{counts.get(id)}</span>
        </h3>
      );
    }
    if (key.startsWith('t:')) {
      const entry = model.state.entry(id);
      return entry ? (
        <ul className="maestro-Tasks">
          <TaskCard entry={entry} model={model} />
        </ul>
      ) : null;
    }
    const session = model.state.sessions.get(id);
    return session ? (
      <ul className="maestro-Sessions">
        <SessionRow session={session} model={model} />
      </ul>
    ) : null;
  };

  return (
    <div className="maestro-Board">
      <header className="maestro-Header">
        <h2>Maestro</h2>
        <button
          className="jp-Button jp-mod-styled maestro-Button maestro-OpenBoard"
          title="Open the board in the main area"
          onClick={() => model.requestView({ view: 'board' })}
        >
          Open board
        </button>
        <ConnectionIndicator isConnected={model.isConnected} />
      </header>
      {model.isLoaded && <ProjectPicker model={model} />}
      <NewTaskForm model={model} />
      <LoadNotice model={model} />
      <NeedsYou model={model} projectId={projectId} />
      <VirtualList
        className="maestro-SidebarList"
        keys={keys}
        estimate={key =>
          key.startsWith('g:')
            ? HEADER_HEIGHT
            : key.startsWith('t:')
              ? CARD_HEIGHT
              : SESSION_HEIGHT
        }
        renderRow={renderRow}
      />
    </div>
  );
}
