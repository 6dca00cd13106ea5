/**
 * What attention reads of a session beyond `ISession`: the wire fields issue 13 added
 * (docs/api.md), optional so an older server's sessions still type-check.
 */

import { ISession } from '../types';
import { Activity, ActivitySource } from '../vocabulary';

export interface IAttentionSession extends ISession {
  parentSessionId?: string | null;
  activity?: Activity;
  activitySource?: ActivitySource | null;
  agentSessionId?: string | null;
  resumedFrom?: string | null;
  exitCode?: number | null;
}

/** The statuses that want a person: the agent waits at a prompt or asked a question. */
export function needsYou(session: ISession): boolean {
  return session.status === 'needs_input';
}

/** How the status reads in a sentence ("needs input", not "needs_input"). */
export function statusWords(session: ISession): string {
  return session.status.replace('_', ' ');
}
