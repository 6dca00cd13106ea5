/**
 * Arranging one orchestrator's sessions: its tab, and the tabs of the sessions it spawned in
 * one tab area beside it, so a team of agents reads as one.
 */

import { JupyterFrontEnd } from '@jupyterlab/application';
import { DockLayout, Widget } from '@lumino/widgets';

import { ISession } from '../types';
import { IAttentionSession } from './session';

const SESSION_DATA_KEY = 'maestro-session';

/** The main-area tabs of Maestro sessions, by session id. */
function sessionTabs(shell: JupyterFrontEnd.IShell): Map<string, Widget> {
  const tabs = new Map<string, Widget>();
  for (const widget of shell.widgets('main')) {
    const id = widget.title.dataset[SESSION_DATA_KEY];
    if (id) {
      tabs.set(id, widget);
    }
  }
  return tabs;
}

/** The orchestrator a session belongs to: itself, or the session that spawned it. */
export function orchestratorOf(
  session: IAttentionSession,
  sessions: ReadonlyMap<string, ISession>
): IAttentionSession {
  const parent = session.parentSessionId
    ? sessions.get(session.parentSessionId)
    : undefined;
  return session.role !== 'orchestrator' && parent ? parent : session;
}

/**
 * Move the open tabs of the orchestrator's sessions into one tab area split to the right of
 * its own tab (or, when its tab is not open, beside the first of them), without taking the
 * focus. Answers how many tabs it arranged.
 */
export function arrangeTeam(
  shell: JupyterFrontEnd.IShell,
  orchestrator: ISession,
  sessions: ReadonlyMap<string, ISession>
): number {
  const tabs = sessionTabs(shell);
  const team = Array.from(sessions.values())
    .filter(
      session =>
        (session as IAttentionSession).parentSessionId === orchestrator.id &&
        tabs.has(session.id)
    )
    .sort((a, b) => a.createdAt.localeCompare(b.createdAt))
    .map(session => tabs.get(session.id)!);
  const lead = tabs.get(orchestrator.id);
  let ref = lead ?? team.shift();
  if (!ref) {
    return 0;
  }
  let mode: DockLayout.InsertMode = lead ? 'split-right' : 'tab-after';
  for (const widget of team) {
    shell.add(widget, 'main', { ref: ref.id, mode, activate: false });
    ref = widget;
    mode = 'tab-after';
  }
  return team.length + 1;
}
