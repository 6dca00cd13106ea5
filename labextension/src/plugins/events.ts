/**
 * Provides Maestro's event stream to the other plugins, and reports this window's terminal
 * size on it (the server starts a spawn that names no size at the size last reported).
 */

import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ServerConnection } from '@jupyterlab/services';

import { MaestroAPI } from '../api';
import { EventsClient } from '../events';
import { DEFAULT_TERMINAL_FONT, TerminalSizeReporter } from '../terminalSize';
import { IMaestroEvents, IMaestroTerminalFont } from '../tokens';

function localStorageOrNull(): Storage | null {
  try {
    return window.localStorage;
  } catch {
    return null;
  }
}

/** The server settings, with a WebSocket class that hands each socket it makes to `watch`. */
function watchingSockets(
  settings: ServerConnection.ISettings,
  watch: (socket: WebSocket) => void
): ServerConnection.ISettings {
  const Base = settings.WebSocket;
  class WatchedWebSocket extends Base {
    constructor(url: string | URL, protocols?: string | string[]) {
      super(url, protocols);
      watch(this);
    }
  }
  return { ...settings, WebSocket: WatchedWebSocket };
}

export const eventsPlugin: JupyterFrontEndPlugin<IMaestroEvents> = {
  id: 'maestro-jupyter:events',
  description: 'Connects to the Maestro event stream.',
  autoStart: true,
  optional: [IMaestroTerminalFont],
  provides: IMaestroEvents,
  activate: (
    app: JupyterFrontEnd,
    terminal: IMaestroTerminalFont | null
  ): IMaestroEvents => {
    const sizes = new TerminalSizeReporter(
      () => terminal?.font ?? DEFAULT_TERMINAL_FONT
    );
    const client = new EventsClient({
      serverSettings: watchingSockets(
        app.serviceManager.serverSettings,
        socket => sizes.watch(socket)
      ),
      fetchLastSeq: () => MaestroAPI.lastSeq(),
      storage: localStorageOrNull()
    });
    void app.restored.then(() => {
      const main = document.getElementById('jp-main-dock-panel');
      if (main) {
        sizes.observe(main);
      }
      return client.start();
    });
    return client;
  }
};
