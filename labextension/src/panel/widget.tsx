/**
 * The Maestro sidebar widget around the React board.
 */

import { ReactWidget } from '@jupyterlab/apputils';
import * as React from 'react';

import { maestroIcon } from '../icon';
import { IMaestroPanel } from '../tokens';
import { IBoardActions, MaestroBoard } from './board';
import { BoardModel } from './model';

export class MaestroPanel extends ReactWidget implements IMaestroPanel {
  constructor(
    readonly model: BoardModel,
    private readonly _actions: IBoardActions
  ) {
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
    return <MaestroBoard model={this.model} actions={this._actions} />;
  }
}
