/**
 * The sidebar's compact board: the project picker, the new-task form, the tasks of the picked
 * project grouped by status, and its sessions still running. It lays out the shared
 * components; the model does the work.
 */

import * as React from 'react';

import { BOARD_STATUS_ORDER } from '../components/statusOrder';
import { ConnectionIndicator } from '../components/ConnectionIndicator';
import { LoadNotice } from '../components/LoadNotice';
import { NewTaskForm } from '../components/NewTaskForm';
import { ProjectPicker } from '../components/ProjectPicker';
import { SessionList } from '../components/SessionRow';
import { StatusGroup } from '../components/StatusGroup';
import { useBoardModel } from '../components/useBoardModel';
import { BoardModel } from '../model/boardModel';

export function SidebarBoard(props: { model: BoardModel }): JSX.Element {
  const { model } = props;
  useBoardModel(model);
  const projectId = model.projectId;
  const activeSessions = model.state.activeSessions(projectId);

  return (
    <div className="maestro-Board">
      <header className="maestro-Header">
        <h2>Maestro</h2>
        <ConnectionIndicator isConnected={model.isConnected} />
      </header>
      {model.isLoaded && <ProjectPicker model={model} />}
      <NewTaskForm model={model} />
      <LoadNotice model={model} />
      {BOARD_STATUS_ORDER.map(status => {
        const taskIds = model.state.taskIdsWithStatus(status, projectId);
        return taskIds.length ? (
          <StatusGroup
            key={status}
            status={status}
            taskIds={taskIds}
            model={model}
          />
        ) : null;
      })}
      {activeSessions.length > 0 && (
        <section className="maestro-Group" data-group="sessions">
          <h3 className="maestro-GroupHeader">
            Running sessions{' '}
            <span className="maestro-Count">{activeSessions.length}</span>
          </h3>
          <SessionList sessions={activeSessions} model={model} />
        </section>
      )}
    </div>
  );
}
