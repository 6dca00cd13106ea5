/**
 * The Maestro sidebar widget around the React board. It renders only while shown: changes
 * that arrive while it is hidden are rendered once, when it is shown again, and a burst of
 * events renders once per frame (Lumino conflates update requests).
 */

import { ReactWidget } from '@jupyterlab/apputils';
import { Message } from '@lumino/messaging';
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
    model.changed.connect(this._onChanged, this);
  }

  startNewTask(): void {
    // The form is rendered by React: focus it once the panel is shown.
    requestAnimationFrame(() =>
      this.node
        .querySelector<HTMLInputElement>('.maestro-NewTask input')
        ?.focus()
    );
  }

  dispose(): void {
    this.model.changed.disconnect(this._onChanged, this);
    super.dispose();
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    this.update();
  }

  protected render(): JSX.Element {
    return <SidebarBoard model={this.model} />;
  }

  private _onChanged(): void {
    if (this.isVisible) {
      this.update();
    }
  }
}
