/**
 * The main-area board: search and filters, the sessions that need you, one column per task
 * status (each a windowed list of compact cards), every session once with its task, and the
 * picked task's full card. Arrow keys move between cards, Enter opens one (its live
 * session's terminal, else its full card; another server's sessions open only there).
 */

import * as React from 'react';

import { NeedsYou } from '../components/NeedsYou';
import { ProjectPicker } from '../components/ProjectPicker';
import { SessionRow } from '../components/SessionRow';
import { BOARD_STATUS_ORDER } from '../components/statusOrder';
import { TaskCard } from '../components/TaskCard';
import { attempt } from '../components/attempt';
import { VirtualList } from '../components/VirtualList';
import { useServerIdentity } from '../identity';
import { BoardModel } from '../model/boardModel';
import { isEnded } from '../model/boardState';
import { ROLES, Role, TASK_STATUS_TITLES } from '../vocabulary';
import { BoardCard } from './BoardCard';
import { IBoardFilters, NO_FILTERS, filterTasks, labelsOf } from './filters';

const CARD_HEIGHT = 64;
const SESSION_HEIGHT = 52;

export function BoardView(props: { model: BoardModel }): JSX.Element {
  const { model } = props;
  const state = model.state;
  const projectId = model.projectId;
  const [filters, setFilters] = React.useState<IBoardFilters>(NO_FILTERS);
  const [selected, setSelected] = React.useState<string | null>(null);
  const [detail, setDetail] = React.useState<string | null>(null);
  const columnsRef = React.useRef<HTMLDivElement>(null);
  // Re-rendered once read: which sessions are foreign changes "needs me" and what Enter opens.
  const identity = useServerIdentity();

  const columns = BOARD_STATUS_ORDER.map(status => ({
    status,
    taskIds: filterTasks(
      state,
      state.taskIdsWithStatus(status, projectId),
      filters
    )
  }));
  const sessions = state.sessionList(projectId);
  const labels = labelsOf(state, projectId);

  const set = (changes: Partial<IBoardFilters>) =>
    setFilters(current => ({ ...current, ...changes }));

  const open = React.useCallback(
    (taskId: string) => {
      setSelected(taskId);
      const live = state
        .entry(taskId)
        ?.sessions.filter(
          s => !isEnded(s) && s.terminalName && !identity.isForeign(s)
        );
      const session =
        live?.find(s => s.status === 'needs_input') ?? live?.[live.length - 1];
      if (session) {
        void attempt(`Opening ${session.name}`, () =>
          model.openSession(session)
        );
      } else {
        setDetail(taskId);
      }
    },
    [model, state, identity]
  );
  const select = React.useCallback((taskId: string) => {
    setSelected(taskId);
    setDetail(taskId);
  }, []);

  // Focus follows the selection, once its card is rendered (it may have been scrolled to).
  React.useEffect(() => {
    if (!selected) {
      return;
    }
    const frame = requestAnimationFrame(() =>
      columnsRef.current
        ?.querySelector<HTMLElement>(
          `.maestro-BoardCard[data-task-id="${CSS.escape(selected)}"]`
        )
        ?.focus({ preventScroll: true })
    );
    return () => cancelAnimationFrame(frame);
  }, [selected]);

  const onKeyDown = (event: React.KeyboardEvent) => {
    const keys = ['ArrowUp', 'ArrowDown', 'ArrowLeft', 'ArrowRight', 'Enter'];
    if (!keys.includes(event.key)) {
      return;
    }
    event.preventDefault();
    const nonEmpty = columns.filter(column => column.taskIds.length);
    if (!nonEmpty.length) {
      return;
    }
    let col = nonEmpty.findIndex(c => selected && c.taskIds.includes(selected));
    if (col < 0) {
      setSelected(nonEmpty[0].taskIds[0]);
      return;
    }
    const row = nonEmpty[col].taskIds.indexOf(selected!);
    switch (event.key) {
      case 'Enter':
        open(selected!);
        return;
      case 'ArrowUp':
        setSelected(nonEmpty[col].taskIds[Math.max(0, row - 1)]);
        return;
      case 'ArrowDown':
        setSelected(
          nonEmpty[col].taskIds[
            Math.min(nonEmpty[col].taskIds.length - 1, row + 1)
          ]
        );
        return;
      default:
        col = Math.max(
          0,
          Math.min(
            nonEmpty.length - 1,
            col + (event.key === 'ArrowLeft' ? -1 : 1)
          )
        );
        setSelected(
          nonEmpty[col].taskIds[Math.min(row, nonEmpty[col].taskIds.length - 1)]
        );
    }
  };

  const detailEntry = detail ? state.entry(detail) : undefined;

  return (
    <div className="maestro-MainBoard">
      <div className="maestro-BoardToolbar" role="toolbar">
        <input
          className="maestro-Input maestro-BoardSearch"
          type="search"
          aria-label="Search tasks"
          placeholder="Search tasks…"
          value={filters.search}
          onChange={event => set({ search: event.target.value })}
        />
        <ProjectPicker model={model} />
        <select
          className="maestro-Select"
          aria-label="Filter by label"
          value={filters.label}
          onChange={event => set({ label: event.target.value })}
        >
          <option value="">Any label</option>
          {labels.map(label => (
            <option key={label} value={label}>
              {label}
            </option>
          ))}
        </select>
        <select
          className="maestro-Select"
          aria-label="Filter by role"
          value={filters.role}
          onChange={event => set({ role: event.target.value as Role | '' })}
        >
          <option value="">Any role</option>
          {ROLES.map(role => (
            <option key={role} value={role}>
              {role}
            </option>
          ))}
        </select>
        <label className="maestro-Check">
          <input
            type="checkbox"
            checked={filters.needsMe}
            onChange={event => set({ needsMe: event.target.checked })}
          />
          Needs me
        </label>
      </div>
      <NeedsYou model={model} projectId={projectId} />
      <div className="maestro-BoardBody">
        <div
          className="maestro-Columns"
          ref={columnsRef}
          role="listbox"
          aria-label="Tasks by status"
          onKeyDown={onKeyDown}
        >
          {columns.map(({ status, taskIds }) => (
            <section
              key={status}
              className="maestro-Column"
              data-column={status}
            >
              <h3 className="maestro-ColumnHeader">
                {TASK_STATUS_TITLES[status]}{' '}
                <span className="maestro-Count">{taskIds.length}</span>
              </h3>
              <VirtualList
                keys={taskIds}
                estimate={() => CARD_HEIGHT}
                scrollToKey={
                  selected && taskIds.includes(selected) ? selected : null
                }
                renderRow={id => {
                  const entry = state.entry(id);
                  return entry ? (
                    <BoardCard
                      entry={entry}
                      selected={id === selected}
                      onSelect={select}
                      onOpen={open}
                    />
                  ) : null;
                }}
              />
            </section>
          ))}
          <section
            className="maestro-Column maestro-SessionColumn"
            data-column="sessions"
          >
            <h3 className="maestro-ColumnHeader">
              Sessions <span className="maestro-Count">{sessions.length}</span>
            </h3>
            <VirtualList
              keys={sessions.map(session => session.id)}
              estimate={() => SESSION_HEIGHT}
              renderRow={id => {
                const session = state.sessions.get(id);
                return session ? (
                  <ul className="maestro-Sessions">
                    <SessionRow session={session} model={model} showTask />
                  </ul>
                ) : null;
              }}
            />
          </section>
        </div>
        {detailEntry && (
          <aside className="maestro-Detail" aria-label="Task details">
            <button
              className="maestro-LinkButton maestro-DetailClose"
              title="Close the task's details"
              onClick={() => setDetail(null)}
            >
              ✕
            </button>
            <ul className="maestro-Tasks">
              <TaskCard key={detail} entry={detailEntry} model={model} />
            </ul>
          </aside>
        )}
      </div>
    </div>
  );
}
