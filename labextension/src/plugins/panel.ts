/**
 * The left-sidebar Maestro panel, kept live by the event stream.
 */

import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';

import { notifyError } from '../request';
import { BoardModel } from '../panel/model';
import { MaestroPanel } from '../panel/widget';
import { spawnFromLab } from '../spawn';
import {
  IMaestroEvents,
  IMaestroPanel,
  IMaestroTerminalOpener
} from '../tokens';

export const panelPlugin: JupyterFrontEndPlugin<IMaestroPanel> = {
  id: 'maestro-jupyter:panel',
  description: 'The Maestro task board in the left sidebar.',
  autoStart: true,
  requires: [IMaestroEvents, IMaestroTerminalOpener],
  optional: [ILayoutRestorer],
  provides: IMaestroPanel,
  activate: (
    app: JupyterFrontEnd,
    events: IMaestroEvents,
    opener: IMaestroTerminalOpener,
    restorer: ILayoutRestorer | null
  ): IMaestroPanel => {
    const model = new BoardModel();
    const panel = new MaestroPanel(model, {
      openSession: async session => {
        try {
          if (!(await opener.open(session, { activate: true }))) {
            throw new Error('its terminal is no longer running on the server');
          }
        } catch (error) {
          notifyError(`Opening ${session.name}`, error);
        }
      },
      spawn: async (taskIds, role, agent) => {
        await spawnFromLab(opener, {
          taskIds,
          role,
          agent: agent || undefined
        });
      }
    });
    app.shell.add(panel, 'left', { rank: 600 });
    restorer?.add(panel, panel.id);

    events.received.connect((_, event) => model.applyEvent(event));
    // After a reconnect the replay covers what was missed; a reload also heals anything the
    // server could not replay (e.g. rows changed while its event log was trimmed).
    events.connectionChanged.connect((_, connected) => {
      model.isConnected = connected;
      if (connected) {
        void model.reload();
      }
    });
    void model.reload();
    return panel;
  }
};
