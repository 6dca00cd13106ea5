/** The review of one session, as a main-area tab that follows the session's changes. */

import { ReactWidget } from '@jupyterlab/apputils';
import { Message } from '@lumino/messaging';
import * as React from 'react';

import { maestroIcon } from '../icon';
import { BoardModel } from '../model/boardModel';
import { ReviewView } from './ReviewView';

export class ReviewWidget extends ReactWidget {
  constructor(
    readonly model: BoardModel,
    readonly sessionId: string,
    private readonly _openTerminal: () => Promise<void>
  ) {
    super();
    this.id = `maestro-review-${sessionId}`;
    this.addClass('maestro-ReviewWidget');
    this.title.icon = maestroIcon;
    this.title.closable = true;
    this._retitle();
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

  protected render(): JSX.Element {
    return (
      <ReviewView
        model={this.model}
        sessionId={this.sessionId}
        openTerminal={this._openTerminal}
      />
    );
  }

  private _onChanged(): void {
    this._retitle();
    if (this.isVisible) {
      this.update();
    }
  }

  private _retitle(): void {
    const session = this.model.state.sessions.get(this.sessionId);
    this.title.label = `Review: ${session?.name ?? this.sessionId}`;
    this.title.caption = session
      ? `Review of ${session.name} (${session.branch ?? 'no branch'})`
      : `Review of session ${this.sessionId}`;
  }
}
