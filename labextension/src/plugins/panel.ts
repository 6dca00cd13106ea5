/**
 * The left-sidebar Maestro panel: the compact view of the board.
 */

import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';

import { BoardModel } from '../model/boardModel';
import { MaestroPanel } from '../panel/widget';
import { IMaestroBoardModel, IMaestroPanel } from '../tokens';

export const panelPlugin: JupyterFrontEndPlugin<IMaestroPanel> = {
  id: 'maestro-jupyter:panel',
  description: 'The Maestro task board in the left sidebar.',
  autoStart: true,
  requires: [IMaestroBoardModel],
  optional: [ILayoutRestorer],
  provides: IMaestroPanel,
  activate: (
    app: JupyterFrontEnd,
    model: BoardModel,
    restorer: ILayoutRestorer | null
  ): IMaestroPanel => {
    const panel = new MaestroPanel(model);
    app.shell.add(panel, 'left', { rank: 600 });
    restorer?.add(panel, panel.id);
    return panel;
  }
};
