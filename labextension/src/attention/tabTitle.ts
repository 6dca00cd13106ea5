/**
 * Titles that tell twenty agent tabs apart: the task's title shortened from the middle (its
 * start and its end are what differ between "Add …" tasks), a short tag from the session id,
 * and the role and status as classes the stylesheet turns into markers.
 */

import { ISession } from '../types';
import { IAttentionSession, statusWords } from './session';

/** Longest label text before the tag; a dock tab shows about this much at Lab's tab width. */
const MAX_TITLE = 24;

/** The shortest id tag; longer ones only when two open tabs would read the same. */
export const SHORT_TAG = 4;

export interface ITabTitle {
  label: string;
  caption: string;
  className: string;
}

/** `text` cut to `max` characters by replacing its middle with an ellipsis. */
export function shortenMiddle(text: string, max: number = MAX_TITLE): string {
  if (text.length <= max) {
    return text;
  }
  const head = Math.ceil((max - 1) * 0.6);
  const tail = max - 1 - head;
  return `${text.slice(0, head).trimEnd()}…${text.slice(text.length - tail).trimStart()}`;
}

/** The session's name without the "<role>: " the server puts before a task title. */
export function baseName(session: ISession): string {
  const name = session.name || session.id;
  const prefix = `${session.role}: `;
  return name.startsWith(prefix) ? name.slice(prefix.length) : name;
}

/** The tab title of a session, with the last `tagLength` characters of its id as the tag. */
export function sessionTabTitle(
  session: IAttentionSession,
  tagLength: number = SHORT_TAG
): ITabTitle {
  const tag = session.id.slice(-tagLength);
  const lines = [
    session.name || session.id,
    `${session.role} · ${session.agent} · ${statusWords(session)}`,
    `session ${session.id}` +
      (session.terminalName ? `, terminal ${session.terminalName}` : '')
  ];
  return {
    label: `${shortenMiddle(baseName(session))} · ${tag}`,
    caption: lines.join('\n'),
    className: [
      'maestro-SessionTab',
      `maestro-tab-role-${session.role}`,
      `maestro-tab-status-${session.status}`
    ].join(' ')
  };
}
