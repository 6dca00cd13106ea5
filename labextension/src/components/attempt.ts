/**
 * How the board's components run a model action: a refusal is shown once, as a notification
 * in words, and the caller learns whether it worked (forms clear only on success). A refusal
 * that `force` overrides (unmet dependencies, a task held by another session) offers a Force
 * action that sends the same request again with `force: true`.
 */

import { Notification } from '@jupyterlab/apputils';

import { BoardModel } from '../model/boardModel';
import { MaestroRequestError, notifyError } from '../request';
import { IDependency } from '../types';
import { TASK_STATUS_TITLES } from '../vocabulary';

export async function attempt(
  action: string,
  call: () => Promise<unknown>
): Promise<boolean> {
  try {
    await call();
    return true;
  } catch (error) {
    notifyError(action, error);
    return false;
  }
}

/** The refusals a person may override: the server then goes ahead and notes it. */
const FORCIBLE = ['dependencies_unmet', 'claimed'];

/** How many dependencies a refusal names before "and N more". */
const NAMED_DEPENDENCIES = 5;

/** "A", "A and B", "A, B and C". */
function inWords(items: readonly string[]): string {
  return items.length < 2
    ? (items[0] ?? '')
    : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

/** "“Build the API” (to do), “Write the tests” (in progress)", for people. */
export function dependenciesInWords(
  dependencies: readonly IDependency[]
): string {
  const named = dependencies
    .slice(0, NAMED_DEPENDENCIES)
    .map(
      dependency =>
        `“${dependency.title}” (${(TASK_STATUS_TITLES[dependency.status] ?? dependency.status).toLowerCase()})`
    );
  const more = dependencies.length - named.length;
  return inWords(more > 0 ? [...named, `${more} more`] : named);
}

/** Why a forcible refusal happened, in words, naming what the server's details name. */
export function describeForcible(
  error: MaestroRequestError,
  model: BoardModel
): string {
  if (error.code === 'dependencies_unmet') {
    const dependencies: IDependency[] = error.details?.dependencies ?? [];
    return dependencies.length
      ? `it waits for ${dependenciesInWords(dependencies)}, not yet completed.`
      : error.message;
  }
  const holder: string | undefined = error.details?.claimedBy;
  const session = holder ? model.state.sessions.get(holder) : undefined;
  return session
    ? `the task is held by session ${session.name} (${session.status.replace('_', ' ')}).`
    : error.message;
}

/**
 * Run `call(false)`; when the server refuses it for a reason `force` overrides, say why and
 * offer Force, which runs `call(true)` (and `onForced` once that worked). Answers whether the
 * first call worked.
 */
export async function attemptForcible(
  model: BoardModel,
  action: string,
  call: (force: boolean) => Promise<unknown>,
  onForced?: () => void
): Promise<boolean> {
  try {
    await call(false);
    return true;
  } catch (error) {
    if (
      !(error instanceof MaestroRequestError) ||
      !FORCIBLE.includes(error.code)
    ) {
      notifyError(action, error);
      return false;
    }
    Notification.warning(`${action}: ${describeForcible(error, model)}`, {
      autoClose: false,
      actions: [
        {
          label: 'Force',
          caption: 'Go ahead anyway (the task’s timeline will say so)',
          displayType: 'warn',
          callback: () => {
            void attempt(action, () => call(true)).then(
              forced => forced && onForced?.()
            );
          }
        },
        { label: 'Cancel', callback: () => undefined }
      ]
    });
    return false;
  }
}
