/**
 * Opens the terminal of each spawned session as a main-area tab titled by the session, once
 * per window, whoever spawned it (CLI, notebook, panel, another agent).
 */

import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { MainAreaWidget } from '@jupyterlab/apputils';
import { TerminalAPI } from '@jupyterlab/services';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { ITerminal, ITerminalTracker } from '@jupyterlab/terminal';

import { MaestroAPI } from '../api';
import { MaestroRequestError, notifyError } from '../request';
import {
  IMaestroEvents,
  IMaestroTerminalOpener,
  IOpenSessionOptions
} from '../tokens';
import { IMaestroEvent, ISession, ISpawnRequest } from '../types';
import { ENDED_SESSION_STATUSES } from '../vocabulary';

const PLUGIN_ID = 'maestro-jupyter:opener';
const TERMINAL_PREFIX = 'maestro_';
const SESSION_DATA_KEY = 'maestro-session';

type TerminalWidget = MainAreaWidget<ITerminal.ITerminal>;

export class TerminalOpener implements IMaestroTerminalOpener {
  constructor(private readonly _app: JupyterFrontEnd) {}

  /** Whether spawn requests from the event stream open tabs (setting `autoOpenSessions`). */
  autoOpen = true;

  async open(
    session: ISession,
    options: IOpenSessionOptions = {}
  ): Promise<boolean> {
    this._handled.add(session.id);
    const name = session.terminalName || `${TERMINAL_PREFIX}${session.id}`;
    // terminal:open on a name it is still connecting to would make a second tab.
    let opening = this._opening.get(name);
    if (!opening) {
      opening = this._openTerminal(name).finally(() =>
        this._opening.delete(name)
      );
      this._opening.set(name, opening);
    }
    if (options.activate) {
      this._focusRequested.add(name);
    }
    const previous = this._app.shell.currentWidget;
    const widget = await opening;
    if (!widget) {
      return false;
    }
    this.retitle(widget, session);
    // A person's click wins over a spawn seen in the stream for the same terminal, whichever
    // of the two callers resumes first; the request is forgotten once both have run.
    if (this._focusRequested.has(name)) {
      this._app.shell.activateById(widget.id);
      window.setTimeout(() => this._focusRequested.delete(name), 0);
    } else if (previous && previous !== widget && !previous.isDisposed) {
      // A spawn seen in the stream adds its tab without taking the person's focus.
      this._app.shell.activateById(previous.id);
    }
    return true;
  }

  /** Label a terminal tab with its session, and keep the label when the terminal renames it. */
  retitle(widget: TerminalWidget, session: ISession): void {
    const title = widget.content.title;
    const label = session.name || session.id;
    const caption = `Maestro session ${label} (${session.role}, ${session.agent}), terminal ${session.terminalName}`;
    // Each assignment below emits `changed` again: only assign what differs.
    const apply = () => {
      if (title.label !== label) {
        title.label = label;
      }
      if (title.caption !== caption) {
        title.caption = caption;
      }
      if (title.dataset[SESSION_DATA_KEY] !== session.id) {
        // Rendered on the tab as the attribute data-maestro-session.
        title.dataset = { ...title.dataset, [SESSION_DATA_KEY]: session.id };
      }
    };
    const previous = this._titleKeepers.get(widget);
    if (previous) {
      title.changed.disconnect(previous);
    } else {
      widget.disposed.connect(() => this._titleKeepers.delete(widget));
    }
    // The terminal sets "Terminal <name>" once its socket connects.
    title.changed.connect(apply);
    this._titleKeepers.set(widget, apply);
    widget.addClass('maestro-SessionTab');
    apply();
  }

  /** A spawn request from the event stream, live or replayed after a reconnect or reload. */
  async onSpawnRequest(request: ISpawnRequest): Promise<void> {
    const session = request.session;
    if (!this.autoOpen || !session?.id || this._handled.has(session.id)) {
      return;
    }
    this._handled.add(session.id);
    let current: ISession;
    try {
      current = await MaestroAPI.getSession(session.id);
    } catch (error) {
      if (error instanceof MaestroRequestError && error.status === 404) {
        return; // deleted since the request
      }
      this._handled.delete(session.id); // the panel's Open button can still open it
      throw error;
    }
    // An ended session's terminal would be a fresh shell under its name, not the agent.
    if (ENDED_SESSION_STATUSES.includes(current.status)) {
      return;
    }
    await this.open(
      {
        ...current,
        terminalName: current.terminalName || request.terminalName
      },
      { activate: false }
    );
  }

  /** A terminal tab restored by the layout or opened from the Running panel gets its title. */
  async onTerminalAdded(widget: TerminalWidget): Promise<void> {
    const name = widget.content.session.name;
    if (!name.startsWith(TERMINAL_PREFIX)) {
      return;
    }
    try {
      const session = await MaestroAPI.getSession(
        name.slice(TERMINAL_PREFIX.length)
      );
      this.retitle(widget, session);
    } catch {
      // A terminal named like ours that is not a Maestro session keeps its own title.
    }
  }

  onSessionUpdated(session: ISession): void {
    for (const widget of this._titleKeepers.keys()) {
      if (widget.content.session.name === session.terminalName) {
        this.retitle(widget, session);
      }
    }
  }

  private async _openTerminal(name: string): Promise<TerminalWidget | null> {
    const { serviceManager, commands } = this._app;
    const running = await TerminalAPI.listRunning(
      serviceManager.serverSettings
    );
    if (!running.some(model => model.name === name)) {
      return null;
    }
    return (await commands.execute('terminal:open', {
      name
    })) as TerminalWidget;
  }

  private _handled = new Set<string>();
  private _focusRequested = new Set<string>();
  private _opening = new Map<string, Promise<TerminalWidget | null>>();
  private _titleKeepers = new Map<TerminalWidget, () => void>();
}

export const openerPlugin: JupyterFrontEndPlugin<IMaestroTerminalOpener> = {
  id: PLUGIN_ID,
  description: "Opens each spawned Maestro session's terminal as a tab.",
  autoStart: true,
  requires: [IMaestroEvents],
  optional: [ITerminalTracker, ISettingRegistry],
  provides: IMaestroTerminalOpener,
  activate: (
    app: JupyterFrontEnd,
    events: IMaestroEvents,
    tracker: ITerminalTracker | null,
    settingRegistry: ISettingRegistry | null
  ): IMaestroTerminalOpener => {
    const opener = new TerminalOpener(app);

    events.received.connect((_, event: IMaestroEvent) => {
      if (event.event === 'session:spawn_request') {
        opener
          .onSpawnRequest(event.data as ISpawnRequest)
          .catch(error => notifyError('Opening a Maestro session', error));
      } else if (event.event === 'session:updated') {
        opener.onSessionUpdated(event.data as ISession);
      }
    });

    if (tracker) {
      tracker.widgetAdded.connect((_, widget) => {
        void opener.onTerminalAdded(widget);
      });
    }

    if (settingRegistry) {
      settingRegistry
        .load(PLUGIN_ID)
        .then(settings => {
          const update = () => {
            opener.autoOpen = settings.get('autoOpenSessions')
              .composite as boolean;
          };
          settings.changed.connect(update);
          update();
        })
        .catch(error =>
          console.warn('Maestro: cannot load the opener settings', error)
        );
    }
    return opener;
  }
};
