/**
 * Provides Maestro's event stream to the other plugins.
 */

import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';

import { MaestroAPI } from '../api';
import { EventsClient } from '../events';
import { IMaestroEvents } from '../tokens';

function localStorageOrNull(): Storage | null {
  try {
    return window.localStorage;
  } catch {
    return null;
  }
}

export const eventsPlugin: JupyterFrontEndPlugin<IMaestroEvents> = {
  id: 'maestro-jupyter:events',
  description: 'Connects to the Maestro event stream.',
  autoStart: true,
  provides: IMaestroEvents,
  activate: (app: JupyterFrontEnd): IMaestroEvents => {
    const client = new EventsClient({
      serverSettings: app.serviceManager.serverSettings,
      fetchLastSeq: () => MaestroAPI.lastSeq(),
      storage: localStorageOrNull()
    });
    void app.restored.then(() => client.start());
    return client;
  }
};
