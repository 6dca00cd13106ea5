/**
 * A session's review: its changed files (status, lines added and removed), the picked file's
 * side-by-side diff (notebooks cell by cell), and Merge, Discard and Open in terminal. A merge
 * conflict names its files in words, in the view; nothing in the main tree changed then.
 */

import { Dialog, showDialog } from '@jupyterlab/apputils';
import * as React from 'react';

import { BoardModel } from '../model/boardModel';
import { isEnded } from '../model/boardState';
import { MaestroRequestError, notifyError } from '../request';
import { IDiffFile, ISessionDiff } from '../types';
import { cellChanges } from './notebookDiff';
import { ISideRow, rowsOfTexts, rowsOfUnifiedDiff } from './sideBySide';

export interface IReviewViewProps {
  model: BoardModel;
  sessionId: string;
  /** Open a terminal in the worktree (the session's own tab while it runs). */
  openTerminal: () => Promise<void>;
}

function SideBySide(props: { rows: ISideRow[] }): JSX.Element {
  return (
    <table className="maestro-SideBySide">
      <tbody>
        {props.rows.map((row, index) =>
          row.kind === 'hunk' ? (
            <tr key={index} className="maestro-DiffHunk">
              <td colSpan={4}>{row.text}</td>
            </tr>
          ) : (
            <tr key={index} className={`maestro-Diff-${row.kind}`}>
              <td className="maestro-DiffNumber">{row.left?.number ?? ''}</td>
              <td className="maestro-DiffLeft">{row.left?.text ?? ''}</td>
              <td className="maestro-DiffNumber">{row.right?.number ?? ''}</td>
              <td className="maestro-DiffRight">{row.right?.text ?? ''}</td>
            </tr>
          )
        )}
      </tbody>
    </table>
  );
}

function NotebookDiff(props: { file: IDiffFile }): JSX.Element {
  const notebook = props.file.notebook!;
  const cells = cellChanges(notebook.base, notebook.diff);
  return (
    <div className="maestro-NotebookDiff">
      {cells.map((cell, index) => (
        <div
          key={index}
          className={`maestro-CellDiff maestro-CellDiff-${cell.kind}`}
          data-cell-change={cell.kind}
        >
          <div className="maestro-CellDiffHeader">
            {cell.cellType} cell: {cell.kind}
            {cell.otherChanges.length > 0 &&
              ` (also changed: ${cell.otherChanges.join(', ')})`}
          </div>
          {cell.kind !== 'unchanged' && (
            <SideBySide rows={rowsOfTexts(cell.base, cell.current)} />
          )}
        </div>
      ))}
    </div>
  );
}

function FileDiff(props: { file: IDiffFile }): JSX.Element {
  const { file } = props;
  if (file.notebook) {
    return <NotebookDiff file={file} />;
  }
  if (file.binary) {
    return <div className="maestro-Empty">A binary file: not shown.</div>;
  }
  if (file.tooLarge || !file.diff) {
    return (
      <div className="maestro-Empty">
        Too large to show here: {file.additions ?? '?'} lines added,{' '}
        {file.deletions ?? '?'} removed.
      </div>
    );
  }
  return <SideBySide rows={rowsOfUnifiedDiff(file.diff)} />;
}

/** "a.py", "a.py and b.py", "a.py, b.py and c.py". */
function filesInWords(files: string[]): string {
  return files.length < 2
    ? (files[0] ?? '')
    : `${files.slice(0, -1).join(', ')} and ${files[files.length - 1]}`;
}

export function ReviewView(props: IReviewViewProps): JSX.Element {
  const { model, sessionId } = props;
  const session = model.state.sessions.get(sessionId);
  const [diff, setDiff] = React.useState<ISessionDiff | null>(null);
  const [error, setError] = React.useState<string | null>(null);
  const [notice, setNotice] = React.useState<string | null>(null);
  const [picked, setPicked] = React.useState<string | null>(null);
  const [busy, setBusy] = React.useState(false);
  const [strategy, setStrategy] = React.useState<'merge' | 'squash'>('merge');

  const load = React.useCallback(async () => {
    try {
      const loaded = await model.diff(sessionId);
      setDiff(loaded);
      setError(null);
      setPicked(current =>
        current && loaded.files.some(file => file.path === current)
          ? current
          : (loaded.files[0]?.path ?? null)
      );
    } catch (failure) {
      setError(
        failure instanceof MaestroRequestError
          ? failure.describe()
          : (failure as Error).message
      );
    }
  }, [model, sessionId]);
  React.useEffect(() => void load(), [load]);

  const merge = async () => {
    setBusy(true);
    setNotice(null);
    try {
      const result = await model.mergeSession(sessionId, strategy);
      setNotice(
        `Merged into the base branch as ${result.commit.slice(0, 10)}.`
      );
      await load();
    } catch (failure) {
      if (
        failure instanceof MaestroRequestError &&
        failure.code === 'merge_conflict'
      ) {
        const files: string[] = failure.details?.files ?? [];
        setNotice(
          files.length
            ? `Not merged: ${filesInWords(files)} conflict with the base branch. Nothing in the main tree changed; ask the agent to rebase its branch.`
            : `Not merged: ${failure.message}`
        );
      } else {
        setNotice(
          `Not merged: ${failure instanceof MaestroRequestError ? failure.describe() : (failure as Error).message}`
        );
      }
    } finally {
      setBusy(false);
    }
  };

  const discard = async () => {
    const answer = await showDialog({
      title: 'Discard the session’s work?',
      body: `The worktree and the branch ${session?.branch ?? ''} are removed, with every change in them. This cannot be undone.`,
      buttons: [Dialog.cancelButton(), Dialog.warnButton({ label: 'Discard' })]
    });
    if (!answer.button.accept) {
      return;
    }
    setBusy(true);
    try {
      await model.discardSession(sessionId);
      setNotice('Discarded: the worktree and its branch are gone.');
      setDiff(null);
    } catch (failure) {
      notifyError('Discarding the session', failure);
    } finally {
      setBusy(false);
    }
  };

  const file = diff?.files.find(candidate => candidate.path === picked);
  const hasWorktree = !!session?.worktree;

  return (
    <div className="maestro-Review" data-session-id={sessionId}>
      <header className="maestro-ReviewHeader">
        <div className="maestro-ReviewTitle">
          <strong>{session?.name ?? sessionId}</strong>
          {session?.branch && (
            <span className="maestro-Meta"> on {session.branch}</span>
          )}
          {session && (
            <span className={`maestro-Badge maestro-status-${session.status}`}>
              {session.status.replace('_', ' ')}
            </span>
          )}
        </div>
        <div className="maestro-Row">
          <select
            className="maestro-Select"
            aria-label="Merge strategy"
            value={strategy}
            onChange={event =>
              setStrategy(event.target.value as 'merge' | 'squash')
            }
          >
            <option value="merge">merge commit</option>
            <option value="squash">squash</option>
          </select>
          <button
            className="jp-Button jp-mod-styled jp-mod-accept maestro-Button"
            disabled={busy || !hasWorktree}
            onClick={() => void merge()}
          >
            Merge
          </button>
          <button
            className="jp-Button jp-mod-styled jp-mod-warn maestro-Button"
            disabled={busy || !hasWorktree}
            onClick={() => void discard()}
          >
            Discard
          </button>
          <button
            className="jp-Button jp-mod-styled maestro-Button"
            disabled={!hasWorktree && !(session && !isEnded(session))}
            onClick={() =>
              void props
                .openTerminal()
                .catch(failure => notifyError('Opening a terminal', failure))
            }
          >
            Open in terminal
          </button>
          <button
            className="jp-Button jp-mod-styled maestro-Button"
            onClick={() => void load()}
          >
            Refresh
          </button>
        </div>
      </header>
      {notice && (
        <div className="maestro-ReviewNotice" role="status">
          {notice}
        </div>
      )}
      {error && <div className="maestro-Error">{error}</div>}
      {diff && (
        <div className="maestro-ReviewBody">
          <ul className="maestro-ReviewFiles" aria-label="Changed files">
            <li className="maestro-Meta">
              {diff.stats.files} file{diff.stats.files === 1 ? '' : 's'}, +
              {diff.stats.additions} −{diff.stats.deletions}
              {diff.truncated ? ' (some summarised)' : ''}
            </li>
            {diff.files.map(changed => (
              <li
                key={changed.path}
                className={`maestro-ReviewFile${changed.path === picked ? ' maestro-mod-selected' : ''}`}
                data-path={changed.path}
                onClick={() => setPicked(changed.path)}
              >
                <span
                  className={`maestro-FileStatus maestro-file-${changed.status}`}
                >
                  {changed.status[0].toUpperCase()}
                </span>{' '}
                {changed.path}{' '}
                <span className="maestro-Meta">
                  +{changed.additions ?? '?'} −{changed.deletions ?? '?'}
                </span>
              </li>
            ))}
          </ul>
          <div className="maestro-ReviewDiff">
            {file ? (
              <FileDiff file={file} />
            ) : (
              <div className="maestro-Empty">No changes.</div>
            )}
          </div>
        </div>
      )}
    </div>
  );
}
