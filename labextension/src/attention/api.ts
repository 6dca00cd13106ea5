/**
 * The REST calls of the attention and session-action plugins that `api.ts` does not have yet.
 */

import { requestAPI } from '../request';
import { ISession } from '../types';

/** A new session that takes an ended one's agent conversation back up (`resumedFrom`). */
export function resumeSession(id: string): Promise<ISession> {
  return requestAPI<ISession>(`sessions/${id}/resume`, {
    method: 'POST',
    body: {}
  });
}
