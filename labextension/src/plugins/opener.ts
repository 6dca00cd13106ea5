/**
 * Opens the terminal of each spawned session as a main-area tab titled by the session, once
 * per window, whoever spawned it (CLI, notebook, panel, another agent). A tab opened for a spawn
 * seen in the stream is added behind the others: nothing the person is typing in loses focus,
 * and the agent keeps its size until the tab is shown. Only the sessions this server runs
 * open: another server's session (its `owner`) has its terminal there, not here.
 */

import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { MainAreaWidget, WidgetTracker } from '@jupyterlab/apputils';
import { TerminalAPI } from '@jupyterlab/services';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { ITerminal, ITerminalTracker, Terminal } from '@jupyterlab/terminal';
import { terminalIcon } from '@jupyterlab/ui-components';

import { MaestroAPI } from '../api';
import { SHORT_TAG, sessionTabTitle } from '../attention/tabTitle';
import { maestroIcon } from '../icon';
import { serverIdentity } from '../identity';
import { MaestroRequestError, notifyError } from '../request';
import { keepSizeUntilFitted } from '../terminalSize';
import {
  IMaestroEvents,
  IMaestroTerminalOpener,
  IOpenSessionOptions
} from '../tokens';
import { IMaestroEvent, ISession, ISpawnRequest } from '../types';
import { ENDED_SESSION_STATUSES } from '../vocabulary';

const PLUGIN_ID = 'maestro-jupyter:opener';
const TERMINAL_SETTINGS_ID = '@jupyterlab/terminal-extension:plugin';
const TERMINAL_PREFIX = 'maestro_';
const SESSION_DATA_KEY = 'maestro-session';

type TerminalWidget = MainAreaWidget<ITerminal.ITerminal>;

export class TerminalOpener implements IMaestroTerminalOpener {
  constructor(
    private readonly _app: JupyterFrontEnd,
    private readonly _tracker: ITerminalTracker | null
  ) {}

  /** Whether spawn requests from the event stream open tabs (setting `autoOpenSessions`). */
  autoOpen = true;

  /** The options of Lab's terminals (Settings > Terminal), for the tabs this opener makes. */
  terminalOptions: Partial<ITerminal.IOptions> = {};

  /** Throws for a session another server runs: its terminal opens only in its owner's Lab. */
  async open(
    session: ISession,
    options: IOpenSessionOptions = {}
  ): Promise<boolean> {
    await serverIdentity.load();
    serverIdentity.checkOwned(session, 'open');
    this._handled.add(session.id);
    const name = session.terminalName || `${TERMINAL_PREFIX}${session.id}`;
    // Two callers for one terminal (a click and the stream) must not make two tabs.
    let opening = this._opening.get(name);
    if (!opening) {
      opening = this._openTerminal(name).finally(() =>
        this._opening.delete(name)
      );
      this._opening.set(name, opening);
    }
    const widget = await opening;
    if (!widget) {
      return false;
    }
    this.retitle(widget, session);
    // Only a person's request in this window brings the tab forward; a spawn seen in the
    // stream never touches the focus, whichever of the two callers resumes first.
    if (options.activate) {
      this._app.shell.activateById(widget.id);
    }
    return true;
  }

  /**
   * Title a terminal tab for its session (short, distinct, with role and status markers), and
   * keep the title when the terminal renames its tab.
   */
  retitle(widget: TerminalWidget, session: ISession): void {
    const title = widget.content.title;
    this._sessions.set(widget, session);
    const { label, caption, className } = sessionTabTitle(
      session,
      this._tagLength(widget, session)
    );
    const icon = session.role === 'orchestrator' ? maestroIcon : terminalIcon;
    // Each assignment below emits `changed` again: only assign what differs.
    const apply = () => {
      if (title.label !== label) {
        title.label = label;
      }
      if (title.caption !== caption) {
        title.caption = caption;
      }
      if (title.className !== className) {
        title.className = className;
      }
      if (title.icon !== icon) {
        title.icon = icon;
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
      widget.disposed.connect(() => {
        this._titleKeepers.delete(widget);
        this._sessions.delete(widget);
      });
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
    await serverIdentity.load();
    if (serverIdentity.isForeign(session)) {
      return; // its tab opens in its owner's Lab
    }
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
    if (
      ENDED_SESSION_STATUSES.includes(current.status) ||
      serverIdentity.isForeign(current)
    ) {
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

  /**
   * A terminal tab made by Lab (restored by the layout, opened from the Running panel) keeps
   * the agent's size until shown, and gets its session's title; one restored for a session
   * another server runs is closed (its agent is not here; its tab belongs to its owner's Lab).
   */
  async onTerminalAdded(widget: TerminalWidget): Promise<void> {
    const name = widget.content.session.name;
    if (!name.startsWith(TERMINAL_PREFIX) || this._made.has(widget)) {
      return;
    }
    keepSizeUntilFitted(widget.content);
    let session: ISession;
    try {
      session = await MaestroAPI.getSession(name.slice(TERMINAL_PREFIX.length));
    } catch {
      return; // a terminal named like ours that is not a Maestro session keeps its own title
    }
    await serverIdentity.load();
    if (serverIdentity.isForeign(session)) {
      widget.dispose();
    } else {
      this.retitle(widget, session);
    }
  }

  onSessionUpdated(session: ISession): void {
    for (const [widget, shown] of this._sessions) {
      if (shown.id === session.id) {
        this.retitle(widget, session);
      }
    }
  }

  /**
   * The id tag's length for this tab: the short one, unless another open tab of another
   * session already reads the same.
   */
  private _tagLength(widget: TerminalWidget, session: ISession): number {
    const taken = new Set<string>();
    for (const [other, shown] of this._sessions) {
      if (other !== widget && shown.id !== session.id) {
        taken.add(other.content.title.label);
      }
    }
    let length = SHORT_TAG;
    while (
      length < session.id.length &&
      taken.has(sessionTabTitle(session, length).label)
    ) {
      length += 2;
    }
    return length;
  }

  /**
   * A tab on the session's running terminal, added behind the current one. Lab's
   * `terminal:open` would activate it, taking the focus from whatever the person types in.
   */
  private async _openTerminal(name: string): Promise<TerminalWidget | null> {
    const existing = this._tracker?.find(
      widget => widget.content.session.name === name
    );
    if (existing) {
      return existing;
    }
    const { serviceManager, shell } = this._app;
    const running = await TerminalAPI.listRunning(
      serviceManager.serverSettings
    );
    if (!running.some(model => model.name === name)) {
      return null;
    }
    const connection = serviceManager.terminals.connectTo({ model: { name } });
    const content = new Terminal(connection, this.terminalOptions);
    keepSizeUntilFitted(content);
    content.title.icon = terminalIcon;
    const widget = new MainAreaWidget({ content, reveal: content.ready });
    this._made.add(widget);
    shell.add(widget, 'main', { type: 'Terminal', activate: false });
    // Lab's tracker restores the tab after a reload and applies terminal settings changes.
    if (this._tracker && 'add' in this._tracker) {
      void (this._tracker as WidgetTracker<TerminalWidget>).add(widget);
    }
    return widget;
  }

  private _handled = new Set<string>();
  private _opening = new Map<string, Promise<TerminalWidget | null>>();
  private _titleKeepers = new Map<TerminalWidget, () => void>();
  /** The session each Maestro tab shows, as last titled. */
  private _sessions = new Map<TerminalWidget, ISession>();
  /** Tabs this opener made (titled and size-kept here, not as tabs Lab made). */
  private _made = new WeakSet<TerminalWidget>();
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
    const opener = new TerminalOpener(app, tracker);
    // Who this server is, before any tab opens; read again after a reconnect if it failed.
    void serverIdentity.load();
    events.connectionChanged.connect((_, connected) => {
      if (connected) {
        void serverIdentity.load();
      }
    });

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
      // The tabs this opener makes look like Lab's own terminals.
      settingRegistry
        .load(TERMINAL_SETTINGS_ID)
        .then(settings => {
          const update = () => {
            opener.terminalOptions = {
              ...(settings.composite as Partial<ITerminal.IOptions>)
            };
          };
          settings.changed.connect(update);
          update();
        })
        .catch(() => undefined); // no terminal extension: Lab's defaults stand
    }
    return opener;
  }
};
