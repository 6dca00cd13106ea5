/**
 * The Maestro sidebar widget around the React board.
 */

import { ReactWidget } from '@jupyterlab/apputils';
import * as React from 'react';

import { maestroIcon } from '../icon';
import { BoardModel } from '../model/boardModel';
import { IMaestroPanel } from '../tokens';
import { SidebarBoard } from './SidebarBoard';

export class MaestroPanel extends ReactWidget implements IMaestroPanel {
  constructor(readonly model: BoardModel) {
    super();
    this.id = 'maestro-panel';
    this.addClass('maestro-Panel');
    this.title.icon = maestroIcon;
    this.title.caption = 'Maestro: tasks and agent sessions';
  }

  startNewTask(): void {
    // The form is rendered by React: focus it once the panel is shown.
    requestAnimationFrame(() =>
      this.node
        .querySelector<HTMLInputElement>('.maestro-NewTask input')
        ?.focus()
    );
  }

  protected render(): JSX.Element {
    return <SidebarBoard model={this.model} />;
  }
}
