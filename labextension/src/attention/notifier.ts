/**
 * Tells the person when a session needs them: a Lab notification (and, when the window is
 * hidden and the setting allows, a browser notification) when a session needs input, is
 * blocked, fails or completes. One notification per session and kind at a time (a newer
 * message replaces it); a needs-input one goes away once the session runs again.
 */

import { Notification } from '@jupyterlab/apputils';

import { IMaestroEvent, ISession, ITimelineEntry } from '../types';
import { IAttentionSession } from './session';
import { SHORT_TAG } from './tabTitle';

export type AttentionKind = 'needs_input' | 'blocked' | 'failed' | 'completed';

export interface IAttentionSettings {
  /** Which kinds are notified. */
  kinds: Record<AttentionKind, boolean>;
  /** Also a browser notification while the window is hidden. */
  browser: boolean;
}

export const DEFAULT_ATTENTION_SETTINGS: IAttentionSettings = {
  kinds: { needs_input: true, blocked: true, failed: true, completed: true },
  browser: false
};

export interface IAttentionNotifierOptions {
  /** The session as the board knows it now (for timeline entries, which carry only its id). */
  session(id: string): ISession | undefined;
  /** The buttons of a notification about this session. */
  actions(kind: AttentionKind, session: ISession): Notification.IAction[];
  /** What clicking a browser notification does (bring its tab forward). */
  show(session: ISession): void;
}

const TOAST_TYPE: Record<AttentionKind, Notification.TypeOptions> = {
  needs_input: 'warning',
  blocked: 'warning',
  failed: 'error',
  completed: 'success'
};

/** Completions inform; the others wait for the person. */
const AUTO_CLOSE: Record<AttentionKind, number | false> = {
  needs_input: false,
  blocked: false,
  failed: false,
  completed: 8000
};

/** The session named in plain words, with the tag its tab shows. */
export function sessionLabel(session: ISession): string {
  return `${session.name || session.id} (${session.id.slice(-SHORT_TAG)})`;
}

function describe(
  kind: AttentionKind,
  session: IAttentionSession,
  message: string | null
): string {
  const label = sessionLabel(session);
  switch (kind) {
    case 'needs_input':
      return message ? `${label} needs you: ${message}` : `${label} needs you`;
    case 'blocked':
      return message
        ? `${label} is blocked: ${message}`
        : `${label} is blocked`;
    case 'failed':
      return typeof session.exitCode === 'number'
        ? `${label} failed (exit code ${session.exitCode})`
        : `${label} failed`;
    case 'completed':
      return `${label} completed`;
  }
}

export class AttentionNotifier {
  constructor(private readonly _options: IAttentionNotifierOptions) {}

  settings: IAttentionSettings = DEFAULT_ATTENTION_SETTINGS;

  /** A session as loaded: its status is where it stands, not news. */
  know(session: ISession): void {
    if (!this._statuses.has(session.id)) {
      this._statuses.set(session.id, session.status);
    }
  }

  applyEvent(event: IMaestroEvent): void {
    const data = event.data;
    switch (event.event) {
      case 'session:created':
        this._statuses.set(data.id, data.status);
        return;
      case 'session:updated':
        return this._onSessionUpdated(data as ISession);
      case 'session:deleted':
        this._statuses.delete(data.id);
        this._dismiss(data.id);
        return;
      case 'timeline:created':
        return this._onTimelineEntry(data as ITimelineEntry);
    }
  }

  private _onSessionUpdated(session: ISession): void {
    const previous = this._statuses.get(session.id);
    this._statuses.set(session.id, session.status);
    if (previous === undefined || previous === session.status) {
      return;
    }
    if (previous === 'needs_input') {
      this._dismiss(session.id, 'needs_input'); // answered
    }
    if (
      session.status === 'needs_input' ||
      session.status === 'failed' ||
      session.status === 'completed'
    ) {
      this._notify(session.status, session, null);
    }
  }

  /** A report's entry carries its message: the question asked, or why it is blocked. */
  private _onTimelineEntry(entry: ITimelineEntry): void {
    if (
      !entry.sessionId ||
      (entry.kind !== 'needs_input' && entry.kind !== 'blocked')
    ) {
      return;
    }
    const session = this._options.session(entry.sessionId);
    if (session) {
      this._notify(entry.kind, session, entry.message);
    }
  }

  private _notify(
    kind: AttentionKind,
    session: ISession,
    message: string | null
  ): void {
    if (!this.settings.kinds[kind]) {
      return;
    }
    const text = describe(kind, session, message);
    const key = `${session.id}:${kind}`;
    const shown = this._shown.get(key);
    // A report that names several tasks writes one entry per task: say it once.
    if (shown && shown.text === text) {
      return;
    }
    // Replaced, not updated: Lab shows an update made while its toast is still being
    // created as the first text.
    if (shown) {
      Notification.dismiss(shown.id);
    }
    const id = Notification.emit(text, TOAST_TYPE[kind], {
      autoClose: AUTO_CLOSE[kind],
      actions: this._options.actions(kind, session)
    });
    this._shown.set(key, { id, text });
    this._tellBrowser(key, session, text);
  }

  private _dismiss(sessionId: string, kind?: AttentionKind): void {
    for (const [key, shown] of this._shown) {
      if (
        key === `${sessionId}:${kind}` ||
        (!kind && key.startsWith(`${sessionId}:`))
      ) {
        Notification.dismiss(shown.id);
        this._shown.delete(key);
      }
    }
  }

  private _tellBrowser(key: string, session: ISession, text: string): void {
    if (
      !this.settings.browser ||
      document.visibilityState !== 'hidden' ||
      !('Notification' in window) ||
      window.Notification.permission !== 'granted'
    ) {
      return;
    }
    const notice = new window.Notification('Maestro', { body: text, tag: key });
    notice.onclick = () => {
      window.focus();
      this._options.show(session);
      notice.close();
    };
  }

  /** The last status seen of each session, to notice transitions. */
  private _statuses = new Map<string, string>();
  /** The notifications shown, by `<session id>:<kind>`. */
  private _shown = new Map<string, { id: string; text: string }>();
}
