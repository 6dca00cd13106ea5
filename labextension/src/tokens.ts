/**
 * The tokens through which Maestro's plugins share their services.
 */

import { ISignal } from '@lumino/signaling';
import { Token } from '@lumino/coreutils';

import type { BoardModel } from './model/boardModel';
import { ITerminalFont } from './terminalSize';
import { IMaestroEvent, ISession } from './types';

/** Maestro's live event stream (`maestro/api/events`), kept connected and gap-free. */
export interface IMaestroEvents {
  /** Each event once, in `seq` order, live or replayed after a reconnect or a reload. */
  readonly received: ISignal<IMaestroEvents, IMaestroEvent>;
  /** Emits true on every (re)connection and false when the socket drops. */
  readonly connectionChanged: ISignal<IMaestroEvents, boolean>;
  /** Emits when the server could not replay from our seq: whoever holds state reads it again. */
  readonly resynced: ISignal<IMaestroEvents, void>;
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

/** The font of Lab's terminals, followed live from the terminal settings. */
export interface IMaestroTerminalFont {
  readonly font: ITerminalFont;
}

export const IMaestroTerminalFont = new Token<IMaestroTerminalFont>(
  'maestro-jupyter:IMaestroTerminalFont',
  "The font of Lab's terminals, which sizes the terminals spawned from Lab."
);

/**
 * The board's model (tasks, subtasks and sessions kept live by the event stream, and every
 * change the board makes), one per window, shared by every view of the board.
 */
export const IMaestroBoardModel = new Token<BoardModel>(
  'maestro-jupyter:IMaestroBoardModel',
  "Maestro's board: indexed tasks, subtasks and sessions, and their actions."
);
