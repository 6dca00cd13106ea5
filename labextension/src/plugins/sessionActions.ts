/**
 * What a person does with a session beyond opening it: resume an ended one, complete a task
 * whose session still runs (asking whether to stop it), and arrange an orchestrator's tabs.
 * Commands, so the board, the notifications and the palette share them; the board's Resume
 * button runs the command's own code (`resumeSession`).
 */

import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import {
  Dialog,
  ICommandPalette,
  InputDialog,
  Notification,
  showDialog
} from '@jupyterlab/apputils';

import { MaestroAPI } from '../api';
import { arrangeTeam, orchestratorOf } from '../attention/arrange';
import { sessionLabel } from '../attention/notifier';
import { serverIdentity } from '../identity';
import { BoardModel } from '../model/boardModel';
import { isEnded } from '../model/boardState';
import { notifyError } from '../request';
import { IMaestroBoardModel } from '../tokens';
import { ISession, ITask } from '../types';
import { ACTIVE_SESSION_STATUSES } from '../vocabulary';

export namespace SessionCommandIDs {
  /** Args `sessionId`: a new session that takes the ended one's conversation back up. */
  export const resume = 'maestro:resume-session';
  /** Args `sessionId`: the Review view of a session's work (registered by the board). */
  export const review = 'maestro:review-session';
  /** Args `taskId`, `force`: complete a task, asking first whether to stop its live sessions. */
  export const completeTask = 'maestro:complete-task';
  /** Args `sessionId` (default: the current tab's): one orchestrator's tabs side by side. */
  export const arrange = 'maestro:arrange-sessions';
}

const CATEGORY = 'Maestro';

/** The sessions still running on a task that this server runs (and so can stop). */
export function liveSessionsOf(model: BoardModel, taskId: string): ISession[] {
  return Array.from(model.state.sessions.values()).filter(
    session =>
      session.taskIds.includes(taskId) &&
      ACTIVE_SESSION_STATUSES.includes(session.status) &&
      !serverIdentity.isForeign(session)
  );
}

/**
 * Resume an ended session in a new one and bring its tab forward: the Resume button's and
 * `maestro:resume-session`'s one path. A refusal is notified once (the server's reason; for a
 * session another server runs, where it runs: that server's Lab resumes it) and answers null.
 */
export async function resumeSession(
  model: BoardModel,
  sessionId: string
): Promise<ISession | null> {
  let name = model.state.sessions.get(sessionId)?.name ?? sessionId;
  try {
    await serverIdentity.load();
    const session =
      model.state.sessions.get(sessionId) ??
      (await MaestroAPI.getSession(sessionId));
    name = session.name;
    serverIdentity.checkOwned(session, 'resume');
    return await model.resumeSession(sessionId);
  } catch (error) {
    notifyError(`Resuming ${name}`, error);
    return null;
  }
}

/** Ask what to do with the live sessions of a task being completed: null to cancel. */
export async function askToStop(
  task: ITask | undefined,
  live: ISession[]
): Promise<'stop' | 'keep' | null> {
  const names = live.map(sessionLabel).join(', ');
  const what = task ? `"${task.title}"` : 'This task';
  const result = await showDialog({
    title: 'Complete the task?',
    body:
      live.length === 1
        ? `${what} still has a running session: ${names}. Stop it too?`
        : `${what} still has ${live.length} running sessions: ${names}. Stop them too?`,
    buttons: [
      Dialog.cancelButton(),
      Dialog.okButton({
        label: 'Complete, keep running',
        displayType: 'default'
      }),
      Dialog.warnButton({ label: 'Stop and complete' })
    ],
    defaultButton: 2
  });
  if (!result.button.accept) {
    return null;
  }
  return result.button.displayType === 'warn' ? 'stop' : 'keep';
}

/** "worker: Fix the build (sess_0a1b2c)", for a list to pick from. */
function pickLabel(session: ISession): string {
  return `${session.name} (${session.id})`;
}

/**
 * Ask which ended session of this server to resume (the current tab's first when it is one),
 * or null: the palette's path, which names no session.
 */
async function pickEnded(
  model: BoardModel,
  current: ISession | undefined
): Promise<string | null> {
  const ended = Array.from(model.state.sessions.values())
    .filter(
      session =>
        isEnded(session) &&
        session.agentSessionId &&
        !serverIdentity.isForeign(session)
    )
    .sort((a, b) => (b.endedAt ?? '').localeCompare(a.endedAt ?? ''));
  if (!ended.length) {
    Notification.info('No ended session here can be resumed.', {
      autoClose: 5000
    });
    return null;
  }
  const labels = ended.map(pickLabel);
  const answer = await InputDialog.getItem({
    title: 'Resume which session?',
    items: labels,
    current: Math.max(
      0,
      ended.findIndex(session => session === current)
    )
  });
  if (!answer.button.accept || answer.value === null) {
    return null;
  }
  return ended[labels.indexOf(answer.value)]?.id ?? null;
}

export const sessionActionsPlugin: JupyterFrontEndPlugin<void> = {
  id: 'maestro-jupyter:session-actions',
  description:
    'Resume an ended Maestro session, complete a task with its sessions, arrange tabs.',
  autoStart: true,
  requires: [IMaestroBoardModel],
  optional: [ICommandPalette],
  activate: (
    app: JupyterFrontEnd,
    model: BoardModel,
    palette: ICommandPalette | null
  ): void => {
    const { commands, shell } = app;
    const sessionArg = (args: any): ISession | undefined => {
      const id =
        (args.sessionId as string | undefined) ??
        (shell.currentWidget?.title.dataset['maestro-session'] as
          | string
          | undefined);
      return id ? model.state.sessions.get(id) : undefined;
    };

    commands.addCommand(SessionCommandIDs.resume, {
      label: args =>
        args.sessionId ? 'Resume Maestro Session' : 'Resume Maestro Session…',
      caption:
        "Start a new session that takes an ended session's agent conversation back up " +
        '(args: sessionId; without it, asks which)',
      execute: async args => {
        const id =
          (args.sessionId as string | undefined) ??
          (await pickEnded(model, sessionArg({})));
        return id ? resumeSession(model, id) : null;
      }
    });

    commands.addCommand(SessionCommandIDs.completeTask, {
      label: 'Complete Maestro Task',
      caption:
        'Complete a task; asks whether to stop the sessions still running on it',
      execute: async args => {
        const taskId = args.taskId as string;
        const live = liveSessionsOf(model, taskId);
        const choice = live.length
          ? await askToStop(model.state.tasks.get(taskId), live)
          : 'keep';
        if (choice === null) {
          return null;
        }
        const task = await model.completeTask(taskId, {
          force: args.force as boolean | undefined
        });
        if (choice === 'stop') {
          await Promise.all(live.map(session => model.stopSession(session.id)));
        }
        return task;
      }
    });

    commands.addCommand(SessionCommandIDs.arrange, {
      label: "Arrange an Orchestrator's Session Tabs",
      caption:
        'Put the tabs of the sessions an orchestrator spawned in one tab area beside its own',
      isEnabled: args => !!sessionArg(args),
      execute: args => {
        const session = sessionArg(args);
        if (!session) {
          return 0;
        }
        const orchestrator = orchestratorOf(session, model.state.sessions);
        return arrangeTeam(shell, orchestrator, model.state.sessions);
      }
    });

    for (const command of [
      SessionCommandIDs.resume,
      SessionCommandIDs.arrange
    ]) {
      palette?.addItem({ command, category: CATEGORY });
    }
  }
};
