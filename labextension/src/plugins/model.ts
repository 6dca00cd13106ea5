/**
 * The board's model, one per window: loaded at start, kept live by the event stream, reloaded
 * after each reconnect. The sidebar (and any other view of the board) reads it.
 */

import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';

import { BoardModel } from '../model/boardModel';
import { mainAreaTerminalSize } from '../terminalSize';
import {
  IMaestroBoardModel,
  IMaestroEvents,
  IMaestroTerminalFont,
  IMaestroTerminalOpener
} from '../tokens';

export const modelPlugin: JupyterFrontEndPlugin<BoardModel> = {
  id: 'maestro-jupyter:board-model',
  description:
    'The Maestro board: tasks, subtasks and sessions, and their actions.',
  autoStart: true,
  requires: [IMaestroEvents, IMaestroTerminalOpener, IMaestroTerminalFont],
  provides: IMaestroBoardModel,
  activate: (
    app: JupyterFrontEnd,
    events: IMaestroEvents,
    opener: IMaestroTerminalOpener,
    terminal: IMaestroTerminalFont
  ): BoardModel => {
    const model = new BoardModel({
      openSession: (session, activate) => opener.open(session, { activate }),
      terminalSize: () => mainAreaTerminalSize(terminal.font)
    });
    events.received.connect((_, event) => model.applyEvent(event));
    // After a reconnect the replay covers what was missed; a reload also heals anything the
    // server could not replay (rows changed while its event log was trimmed, a store that
    // could not be used and now can).
    events.connectionChanged.connect((_, connected) => {
      model.isConnected = connected;
      if (connected) {
        void model.reload();
      }
    });
    void model.reload();
    return model;
  }
};
