/**
 * The main-area board: command `maestro:open-board`, a launcher card, and the sidebar's
 * "Open board" button (a view request of the shared model). One board per window.
 */

import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { WidgetTracker } from '@jupyterlab/apputils';
import { ILauncher } from '@jupyterlab/launcher';

import { maestroIcon } from '../icon';
import { BoardModel } from '../model/boardModel';
import { IMaestroBoardModel } from '../tokens';
import { MaestroBoardWidget } from './widget';

export const OPEN_BOARD = 'maestro:open-board';

export const boardPlugin: JupyterFrontEndPlugin<void> = {
  id: 'maestro-jupyter:board',
  description: 'The Maestro board in the main area.',
  autoStart: true,
  requires: [IMaestroBoardModel],
  optional: [ILauncher, ILayoutRestorer],
  activate: (
    app: JupyterFrontEnd,
    model: BoardModel,
    launcher: ILauncher | null,
    restorer: ILayoutRestorer | null
  ): void => {
    const tracker = new WidgetTracker<MaestroBoardWidget>({
      namespace: 'maestro-board'
    });
    let board: MaestroBoardWidget | null = null;

    app.commands.addCommand(OPEN_BOARD, {
      // The launcher card's text must not repeat the panel card's "Maestro".
      label: args =>
        args.isLauncher ? 'Task Board' : 'Open the Maestro Board',
      caption: 'Every task by status and every session, in the main area',
      icon: args => (args.isLauncher ? maestroIcon : undefined),
      execute: () => {
        if (!board || board.isDisposed) {
          board = new MaestroBoardWidget(model);
          app.shell.add(board, 'main');
          void tracker.add(board);
        }
        app.shell.activateById(board.id);
        // Nothing returned: the launcher would re-add a returned widget in its own place.
      }
    });
    launcher?.add({
      command: OPEN_BOARD,
      category: 'Other',
      rank: 11,
      args: { isLauncher: true }
    });
    void restorer?.restore(tracker, {
      command: OPEN_BOARD,
      name: () => 'maestro-board'
    });
    model.viewRequested.connect((_, request) => {
      if (request.view === 'board') {
        void app.commands.execute(OPEN_BOARD);
      }
    });
  }
};
