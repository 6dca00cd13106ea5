/**
 * The main-area board widget. Like the sidebar, it renders only while shown, once per frame
 * however many events arrive.
 */

import { ReactWidget } from '@jupyterlab/apputils';
import { Message } from '@lumino/messaging';
import * as React from 'react';

import { maestroIcon } from '../icon';
import { BoardModel } from '../model/boardModel';
import { BoardView } from './BoardView';

export class MaestroBoardWidget extends ReactWidget {
  constructor(readonly model: BoardModel) {
    super();
    this.id = 'maestro-board';
    this.addClass('maestro-BoardWidget');
    this.title.icon = maestroIcon;
    this.title.label = 'Maestro board';
    this.title.caption = 'Maestro: every task and session';
    this.title.closable = true;
    model.changed.connect(this._onChanged, this);
  }

  dispose(): void {
    this.model.changed.disconnect(this._onChanged, this);
    super.dispose();
  }

  /** A closed tab is gone: opening it again makes a new one. */
  protected onCloseRequest(msg: Message): void {
    super.onCloseRequest(msg);
    this.dispose();
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    this.update();
  }

  protected render(): JSX.Element {
    return <BoardView model={this.model} />;
  }

  private _onChanged(): void {
    if (this.isVisible) {
      this.update();
    }
  }
}
