/**
 * The board's model, one per window: loaded at start and kept live by the event stream (the
 * model decides when it must be read again: `BoardModel.follow`). The sidebar (and any other view of the board) reads it. The project
 * the board shows is remembered in Lab's state database (per workspace).
 */

import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { IStateDB } from '@jupyterlab/statedb';

import { serverIdentity } from '../identity';
import { BoardModel } from '../model/boardModel';
import { mainAreaTerminalSize } from '../terminalSize';
import {
  IMaestroBoardModel,
  IMaestroEvents,
  IMaestroTerminalFont,
  IMaestroTerminalOpener
} from '../tokens';

const PLUGIN_ID = 'maestro-jupyter:board-model';
const PROJECT_KEY = `${PLUGIN_ID}:project`;

export const modelPlugin: JupyterFrontEndPlugin<BoardModel> = {
  id: PLUGIN_ID,
  description:
    'The Maestro board: tasks, subtasks and sessions, and their actions.',
  autoStart: true,
  requires: [IMaestroEvents, IMaestroTerminalOpener, IMaestroTerminalFont],
  optional: [IStateDB],
  provides: IMaestroBoardModel,
  activate: (
    app: JupyterFrontEnd,
    events: IMaestroEvents,
    opener: IMaestroTerminalOpener,
    terminal: IMaestroTerminalFont,
    state: IStateDB | null
  ): BoardModel => {
    const model = new BoardModel({
      openSession: (session, activate) => opener.open(session, { activate }),
      terminalSize: () => mainAreaTerminalSize(terminal.font),
      // Who the server records as this window's actor: its own word for the caller (the
      // server's owner, under Jupyter's default identity), else Jupyter's user name.
      userName: () =>
        serverIdentity.you?.name ??
        app.serviceManager.user.identity?.username ??
        null
    });
    model.follow(events);
    void serverIdentity.load();

    if (state) {
      model.projectChanged.connect((_, projectId) => {
        void state.save(PROJECT_KEY, projectId);
      });
      // Read once Lab has restored its workspace; a pick made before that wins.
      void app.restored
        .then(() => state.fetch(PROJECT_KEY))
        .then(saved => {
          if (typeof saved === 'string' && model.projectId === null) {
            model.setProject(saved);
          }
        })
        .catch(error =>
          console.warn('Maestro: cannot restore the picked project', error)
        );
    }
    return model;
  }
};
