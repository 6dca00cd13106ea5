/**
 * Type a message into a session's terminal and press Enter, as a person at the keyboard
 * would: the agent takes it as a prompt. The text is kept when the server refuses it.
 */

import * as React from 'react';

import { BoardModel } from '../model/boardModel';
import { ISession } from '../types';
import { attempt } from './attempt';

export function SendInputForm(props: {
  session: ISession;
  model: BoardModel;
  /** Only when a person asked for the field: a form shown by itself never takes the focus. */
  autoFocus?: boolean;
  onSent?: () => void;
  onCancel?: () => void;
}): JSX.Element {
  const { session, model } = props;
  const [text, setText] = React.useState('');
  const [busy, setBusy] = React.useState(false);
  const submit = async (event: React.FormEvent) => {
    event.preventDefault();
    if (!text.trim()) {
      return;
    }
    setBusy(true);
    const sent = await attempt(`Sending to ${session.name}`, () =>
      model.sendInput(session.id, text)
    );
    setBusy(false);
    if (sent) {
      setText('');
      props.onSent?.();
    }
  };
  return (
    <form className="maestro-SendForm" onSubmit={submit}>
      <input
        className="maestro-Input"
        aria-label={`Message to ${session.name}`}
        placeholder="Message to the agent…"
        value={text}
        autoFocus={props.autoFocus}
        onChange={event => setText(event.target.value)}
        onKeyDown={event => {
          if (event.key === 'Escape') {
            props.onCancel?.();
          }
        }}
      />
      <button
        type="submit"
        className="jp-Button jp-mod-styled jp-mod-accept maestro-Button"
        disabled={busy || !text.trim()}
      >
        Send
      </button>
    </form>
  );
}
