/**
 * Attention: notifications when a session needs the person, is blocked, fails or completes
 * (each a setting), and the count of sessions that need them on the Maestro sidebar icon.
 */

import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { Notification } from '@jupyterlab/apputils';
import { ISettingRegistry } from '@jupyterlab/settingregistry';

import { setNeedsYouBadge } from '../attention/badge';
import {
  AttentionKind,
  AttentionNotifier,
  DEFAULT_ATTENTION_SETTINGS
} from '../attention/notifier';
import { IAttentionSession, needsYou } from '../attention/session';
import { serverIdentity } from '../identity';
import { BoardModel } from '../model/boardModel';
import { notifyError } from '../request';
import {
  IMaestroBoardModel,
  IMaestroEvents,
  IMaestroPanel,
  IMaestroTerminalOpener
} from '../tokens';
import { IMaestroEvent, ISession } from '../types';
import { SessionCommandIDs } from './sessionActions';

const PLUGIN_ID = 'maestro-jupyter:attention';

export const attentionPlugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_ID,
  description:
    'Notifications when a Maestro session needs you, and a count on the sidebar icon.',
  autoStart: true,
  requires: [
    IMaestroEvents,
    IMaestroBoardModel,
    IMaestroTerminalOpener,
    IMaestroPanel
  ],
  optional: [ISettingRegistry],
  activate: (
    app: JupyterFrontEnd,
    events: IMaestroEvents,
    model: BoardModel,
    opener: IMaestroTerminalOpener,
    panel: IMaestroPanel,
    settingRegistry: ISettingRegistry | null
  ): void => {
    const { commands } = app;
    const show = (session: ISession) => {
      opener
        .open(session, { activate: true })
        .then(opened => {
          if (!opened) {
            Notification.warning(
              `The terminal of ${session.name} is no longer running.`,
              { autoClose: 5000 }
            );
          }
        })
        .catch(error => notifyError('Opening a Maestro session', error));
    };
    const run = (command: string, session: ISession) => () => {
      commands
        .execute(command, { sessionId: session.id })
        .catch(error => notifyError('Maestro', error));
    };
    const actions = (
      kind: AttentionKind,
      session: ISession
    ): Notification.IAction[] => {
      if (kind === 'needs_input' || kind === 'blocked') {
        return [
          {
            label: 'Open',
            caption: 'Bring its tab forward',
            callback: () => show(session)
          }
        ];
      }
      // An ended session's terminal is no longer its agent: review its work or resume it.
      const ended: Notification.IAction[] = [];
      if (commands.hasCommand(SessionCommandIDs.review)) {
        ended.push({
          label: 'Review',
          callback: run(SessionCommandIDs.review, session)
        });
      }
      if ((session as IAttentionSession).agentSessionId) {
        ended.push({
          label: 'Resume',
          callback: run(SessionCommandIDs.resume, session)
        });
      }
      return ended;
    };
    const notifier = new AttentionNotifier({
      session: id => model.state.sessions.get(id),
      actions,
      show
    });
    // Another server's sessions (a team board on PostgreSQL) are that server's person's to
    // answer: they raise nothing here, and their tabs cannot open here anyway.
    const isForeign = (event: IMaestroEvent): boolean => {
      const data = (event.data ?? {}) as { id?: string; sessionId?: string };
      const session = event.event.startsWith('session:')
        ? (event.data as ISession)
        : data.sessionId
          ? model.state.sessions.get(data.sessionId)
          : undefined;
      return !!session && serverIdentity.isForeign(session);
    };
    events.received.connect((_, event) => {
      if (!isForeign(event)) {
        notifier.applyEvent(event);
      }
    });

    // Count (and note the loaded statuses) once per burst of changes, not once per event.
    let counting = 0;
    const count = () => {
      counting = 0;
      let needing = 0;
      for (const session of model.state.sessions.values()) {
        notifier.know(session);
        needing +=
          needsYou(session) && !serverIdentity.isForeign(session) ? 1 : 0;
      }
      const sidebar = Array.from(app.shell.widgets('left')).find(
        widget => widget.id === panel.id
      );
      if (sidebar) {
        setNeedsYouBadge(sidebar.title, needing);
      }
    };
    model.changed.connect(() => {
      if (!counting) {
        counting = window.setTimeout(count, 0);
      }
    });
    void app.restored.then(count);

    settingRegistry
      ?.load(PLUGIN_ID)
      .then(settings => {
        const update = () => {
          const get = (key: string) => settings.get(key).composite as boolean;
          const browser = get('browserNotifications');
          notifier.settings = {
            kinds: {
              needs_input: get('notifyNeedsInput'),
              blocked: get('notifyBlocked'),
              failed: get('notifyFailed'),
              completed: get('notifyCompleted')
            },
            browser
          };
          if (
            browser &&
            'Notification' in window &&
            window.Notification.permission === 'default'
          ) {
            void window.Notification.requestPermission();
          }
        };
        settings.changed.connect(update);
        update();
      })
      .catch(error => {
        notifier.settings = DEFAULT_ATTENTION_SETTINGS;
        console.warn('Maestro: cannot load the attention settings', error);
      });
  }
};
