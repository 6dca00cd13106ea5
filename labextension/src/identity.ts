/**
 * Which server this window talks to and who it is taken to be (`GET status`: `server`, `you`),
 * read once; and what follows for a session: one another server runs (its `owner.server`) is
 * foreign here, shown with its owner and never opened, stopped, sent to or resumed. A server
 * that does not say who it is (an older one) owns every session, as does a session without an
 * owner (older than owners).
 */

import * as React from 'react';
import { ISignal, Signal } from '@lumino/signaling';

import { requestAPI } from './request';
import { ICaller, IServerIdentity, ISession } from './types';

export class ServerIdentity {
  /** This server, once read; null until then or when the server does not say. */
  get server(): IServerIdentity | null {
    return this._server;
  }

  /** Who the server takes this window's requests to be, once read. */
  get you(): ICaller | null {
    return this._you;
  }

  /** Emits once the identity has been read. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** How many times it has changed (0: not read yet). */
  get version(): number {
    return this._version;
  }

  /**
   * Read `GET status` once: later calls share the first read, or try again after a failed
   * one (a server that could not use its store), which left every session this server's.
   */
  load(): Promise<void> {
    if (!this._loading) {
      this._loading = requestAPI<{ server?: IServerIdentity; you?: ICaller }>(
        'status'
      ).then(
        status => {
          this._server = status.server?.id ? status.server : null;
          this._you = status.you ?? null;
          this._version += 1;
          this._changed.emit();
        },
        error => {
          this._loading = null;
          console.warn('Maestro: cannot read who this server is', error);
        }
      );
    }
    return this._loading;
  }

  /** Whether another server runs the session (known only once `load` is done). */
  isForeign(session: ISession): boolean {
    const owner = session.owner?.server;
    return !!owner && !!this._server && owner !== this._server.id;
  }

  /** "a's server", for a foreign session's row. */
  ownerLabel(session: ISession): string {
    return `${session.owner?.user ?? 'another user'}'s server`;
  }

  /** "runs on a's server (host:8888/)": the tooltip of a foreign session. */
  ownerCaption(session: ISession): string {
    return `runs on ${this.ownerLabel(session)} (${session.owner?.server})`;
  }

  /**
   * Refuse what only the owner's server may do with a foreign session (open, resume), in
   * words that say where it runs: "it runs on a's server (host:8888/): resume it there".
   */
  checkOwned(session: ISession, action: string): void {
    if (this.isForeign(session)) {
      throw new Error(`it ${this.ownerCaption(session)}: ${action} it there`);
    }
  }

  private _server: IServerIdentity | null = null;
  private _you: ICaller | null = null;
  private _loading: Promise<void> | null = null;
  private _version = 0;
  private _changed = new Signal<this, void>(this);
}

/**
 * The one identity of this window: a window talks to one server, and the board's components,
 * which are handed only the model, read it here.
 */
export const serverIdentity = new ServerIdentity();

/**
 * The identity, re-rendering the component once it has been read (the opener plugin reads
 * it at start-up), also when that happened between the render and the effect.
 */
export function useServerIdentity(): ServerIdentity {
  const [, setSeen] = React.useState(serverIdentity.version);
  React.useEffect(() => {
    const update = () => setSeen(serverIdentity.version);
    serverIdentity.changed.connect(update);
    update();
    return () => {
      serverIdentity.changed.disconnect(update);
    };
  }, []);
  return serverIdentity;
}
