/**
 * How the board's components run a model action: a refusal is shown as a notification with the
 * server's message, and the caller learns whether it worked (forms clear only on success).
 */

import { notifyError } from '../request';

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
