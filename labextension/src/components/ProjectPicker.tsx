/** Which project the board shows; new tasks and spawns without a task go to it. */

import * as React from 'react';

import { BoardModel } from '../model/boardModel';

export function ProjectPicker(props: { model: BoardModel }): JSX.Element {
  const { model } = props;
  const projects = model.state.projectList();
  return (
    <select
      className="maestro-Select maestro-ProjectPicker"
      aria-label="Project"
      title={model.project?.workingDir ?? 'Tasks and sessions of every project'}
      value={model.projectId ?? ''}
      onChange={event => model.setProject(event.target.value || null)}
    >
      <option value="">All projects</option>
      {projects.map(project => (
        <option key={project.id} value={project.id}>
          {project.name}
        </option>
      ))}
    </select>
  );
}
