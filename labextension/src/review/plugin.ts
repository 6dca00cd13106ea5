/**
 * The Review view: command `maestro:review-session {sessionId}` opens (or brings forward) a
 * session's review in the main area; the board's Review buttons ask for it through the model.
 * "Open in terminal" opens the session's own tab while it runs, else a new terminal in its
 * worktree.
 */

import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';

import { isEnded } from '../model/boardState';
import { BoardModel } from '../model/boardModel';
import { MaestroAPI } from '../api';
import { IMaestroBoardModel } from '../tokens';
import { ReviewWidget } from './widget';

export const REVIEW_SESSION = 'maestro:review-session';

export const reviewPlugin: JupyterFrontEndPlugin<void> = {
  id: 'maestro-jupyter:review',
  description: "A session's review: its diff, merge, discard.",
  autoStart: true,
  requires: [IMaestroBoardModel],
  activate: (app: JupyterFrontEnd, model: BoardModel): void => {
    const open = new Map<string, ReviewWidget>();

    const openTerminal = async (sessionId: string): Promise<void> => {
      const session =
        model.state.sessions.get(sessionId) ??
        (await MaestroAPI.getSession(sessionId));
      if (!isEnded(session) && session.terminalName) {
        return model.openSession(session);
      }
      if (!session.worktree) {
        throw new Error('the session has no worktree any more');
      }
      const terminal = await app.serviceManager.terminals.startNew({
        cwd: session.worktree
      });
      await app.commands.execute('terminal:open', { name: terminal.name });
    };

    app.commands.addCommand(REVIEW_SESSION, {
      label: args =>
        args.sessionId
          ? `Review session ${args.sessionId}`
          : 'Review a session',
      caption: "A session's changes: diff, merge or discard",
      execute: args => {
        const sessionId = String(args.sessionId ?? '');
        if (!sessionId) {
          throw new Error('maestro:review-session needs a sessionId');
        }
        let widget = open.get(sessionId);
        if (!widget || widget.isDisposed) {
          widget = new ReviewWidget(model, sessionId, () =>
            openTerminal(sessionId)
          );
          open.set(sessionId, widget);
          widget.disposed.connect(() => open.delete(sessionId));
          app.shell.add(widget, 'main');
        }
        app.shell.activateById(widget.id);
        return widget;
      }
    });
    model.viewRequested.connect((_, request) => {
      if (request.view === 'review') {
        void app.commands.execute(REVIEW_SESSION, {
          sessionId: request.sessionId
        });
      }
    });
  }
};
