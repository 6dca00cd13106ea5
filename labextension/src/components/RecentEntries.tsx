/**
 * A task's latest timeline entries in a compact form: kind, who (a session by its name, or a
 * person), when, and the text, clamped to a few lines until clicked. Messages sent to an
 * agent are entries of kind `message`, from their sender to the session.
 */

import * as React from 'react';

import { BoardModel } from '../model/boardModel';
import { ITimelineEntry } from '../types';

/** How many entries show before "more". */
const SHOWN = 3;

/** A session by its name, this window's user as "you", anyone else by their user name. */
function nameOf(actor: string, model: BoardModel): string {
  if (actor === model.userName) {
    return 'you';
  }
  return model.state.sessions.get(actor)?.name ?? actor;
}

/** Who wrote the entry; for a message, also the session it was sent to. */
function whoWrote(entry: ITimelineEntry, model: BoardModel): string {
  const author = entry.actor ?? entry.sessionId;
  const who = author ? nameOf(author, model) : '';
  return entry.kind === 'message' &&
    entry.sessionId &&
    entry.sessionId !== author
    ? `${who} → ${nameOf(entry.sessionId, model)}`
    : who;
}

function shortTime(at: string): string {
  const date = new Date(at);
  return date.toDateString() === new Date().toDateString()
    ? date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })
    : date.toLocaleDateString([], { month: 'short', day: 'numeric' });
}

function Entry(props: {
  entry: ITimelineEntry;
  model: BoardModel;
}): JSX.Element {
  const { entry } = props;
  const [expanded, setExpanded] = React.useState(false);
  const who = whoWrote(entry, props.model);
  return (
    <li
      className={`maestro-Entry maestro-kind-${entry.kind}`}
      data-entry-id={entry.id}
      data-kind={entry.kind}
    >
      <div className="maestro-EntryMeta">
        <span className="maestro-EntryKind">
          {entry.kind.replace('_', ' ')}
        </span>
        {who && <span className="maestro-EntryWho">{who}</span>}
        <time dateTime={entry.at} title={new Date(entry.at).toLocaleString()}>
          {shortTime(entry.at)}
        </time>
      </div>
      <div
        className={`maestro-EntryText ${expanded ? 'maestro-mod-expanded' : ''}`}
        title={expanded ? undefined : 'Click to read it all'}
        onClick={() => setExpanded(!expanded)}
      >
        {entry.message}
      </div>
    </li>
  );
}

export function RecentEntries(props: {
  entries: readonly ITimelineEntry[];
  model: BoardModel;
}): JSX.Element {
  const { entries, model } = props;
  const [all, setAll] = React.useState(false);
  const shown = all ? entries : entries.slice(-SHOWN);
  return (
    <div className="maestro-Timeline">
      {entries.length > SHOWN && (
        <button
          className="maestro-LinkButton maestro-TimelineMore"
          onClick={() => setAll(!all)}
        >
          {all ? 'Fewer entries' : `${entries.length - SHOWN} earlier`}
        </button>
      )}
      <ul className="maestro-Entries">
        {shown.map(entry => (
          <Entry key={entry.id} entry={entry} model={model} />
        ))}
      </ul>
    </div>
  );
}
