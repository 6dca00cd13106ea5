/**
 * The tokens through which Maestro's plugins share their services.
 */

import { ISignal } from '@lumino/signaling';
import { Token } from '@lumino/coreutils';

import { IMaestroEvent, ISession } from './types';

/** Maestro's live event stream (`maestro/api/events`), kept connected and gap-free. */
export interface IMaestroEvents {
  /** Each event once, in `seq` order, live or replayed after a reconnect or a reload. */
  readonly received: ISignal<IMaestroEvents, IMaestroEvent>;
  /** Emits true on every (re)connection and false when the socket drops. */
  readonly connectionChanged: ISignal<IMaestroEvents, boolean>;
  readonly isConnected: boolean;
  /** The `seq` of the last event received, 0 before any. */
  readonly lastSeq: number;
}

export const IMaestroEvents = new Token<IMaestroEvents>(
  'maestro-jupyter:IMaestroEvents',
  'The Maestro event stream.'
);

export interface IOpenSessionOptions {
  /** Bring the tab to the front (true for a person's click, false for a spawn seen in the stream). */
  activate?: boolean;
}

/** Opens a session's terminal as a main-area tab titled by the session. */
export interface IMaestroTerminalOpener {
  /** Open (or bring forward) the tab; answers false when the session's terminal is gone. */
  open(session: ISession, options?: IOpenSessionOptions): Promise<boolean>;
}

export const IMaestroTerminalOpener = new Token<IMaestroTerminalOpener>(
  'maestro-jupyter:IMaestroTerminalOpener',
  "Opens a Maestro session's terminal as a tab."
);

/** The Maestro sidebar. */
export interface IMaestroPanel {
  readonly id: string;
  /** Show the panel with its new-task form focused. */
  startNewTask(): void;
}

export const IMaestroPanel = new Token<IMaestroPanel>(
  'maestro-jupyter:IMaestroPanel',
  'The Maestro sidebar panel.'
);
