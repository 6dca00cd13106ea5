/**
 * A WebSocket client for `maestro/api/events` that reconnects with exponential backoff and
 * jitter and resumes from the last `seq` it saw, so no event is lost to a drop or a reload.
 */

import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';
import { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

import { API_PATH } from './request';
import { IMaestroEvents } from './tokens';
import { IMaestroEvent } from './types';

export interface IEventsClientOptions {
  serverSettings: ServerConnection.ISettings;
  /**
   * The server's current last `seq`, asked when this browser has no position stored: a new
   * browser starts with what happens from now on instead of replaying all history.
   */
  fetchLastSeq: () => Promise<number>;
  /** Where the position survives a reload (localStorage); null keeps it in memory only. */
  storage?: Storage | null;
  pingIntervalMs?: number;
  initialDelayMs?: number;
  maxDelayMs?: number;
}

export class EventsClient implements IMaestroEvents, IDisposable {
  constructor(options: IEventsClientOptions) {
    this._settings = options.serverSettings;
    this._fetchLastSeq = options.fetchLastSeq;
    this._storage = options.storage ?? null;
    this._pingIntervalMs = options.pingIntervalMs ?? 20000;
    this._initialDelayMs = options.initialDelayMs ?? 500;
    this._maxDelayMs = options.maxDelayMs ?? 30000;
    this._storageKey = `maestro-jupyter:lastSeq:${URLExt.join(
      this._settings.baseUrl,
      API_PATH
    )}`;
  }

  get received(): ISignal<this, IMaestroEvent> {
    return this._received;
  }

  get connectionChanged(): ISignal<this, boolean> {
    return this._connectionChanged;
  }

  /**
   * Emits when the server could not replay from this client's position (its database was
   * replaced, or the missed events are no longer kept): what was missed must be read afresh.
   */
  get resynced(): ISignal<this, void> {
    return this._resynced;
  }

  get isConnected(): boolean {
    return this._socket?.readyState === WebSocket.OPEN;
  }

  get lastSeq(): number {
    return this._lastSeq;
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /** Find where to resume from, then connect. */
  async start(): Promise<void> {
    window.addEventListener('online', this._onOnline);
    await this._connect();
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    window.removeEventListener('online', this._onOnline);
    this._clearTimers();
    const socket = this._socket;
    this._socket = null;
    if (socket) {
      socket.onclose = null;
      socket.close();
    }
    Signal.clearData(this);
  }

  private async _connect(): Promise<void> {
    if (this._isDisposed || this._connecting) {
      return;
    }
    this._clearTimers();
    if (!this._isPositioned) {
      this._connecting = true;
      try {
        await this._findPosition();
      } catch (error) {
        // No position stored and the server cannot say where it is (it may be unable to use
        // its store): starting from 0 would replay all history, so ask again later.
        console.warn('Maestro: cannot read the server status', error);
        this._retryLater();
        return;
      } finally {
        this._connecting = false;
      }
      if (this._isDisposed) {
        return;
      }
    }
    let url =
      URLExt.join(this._settings.wsUrl, API_PATH, 'events') +
      `?since=${this._lastSeq}`;
    if (this._settings.appendToken && this._settings.token) {
      url += `&token=${encodeURIComponent(this._settings.token)}`;
    }
    const socket = new this._settings.WebSocket(url);
    this._socket = socket;
    socket.onopen = () => {
      this._attempts = 0;
      this._lastHeard = Date.now();
      this._pingTimer = window.setInterval(
        () => this._ping(),
        this._pingIntervalMs
      );
      this._connectionChanged.emit(true);
    };
    socket.onmessage = message => this._onMessage(message);
    socket.onclose = () => this._onClose(socket);
  }

  private _onMessage(message: MessageEvent): void {
    this._lastHeard = Date.now();
    let payload: any;
    try {
      payload = JSON.parse(message.data);
    } catch {
      console.warn('Maestro: ignoring a message that is not JSON');
      return;
    }
    if (payload?.type === 'resync') {
      // The server cannot replay from our seq (a new database, or the events we missed are no
      // longer kept): it now replays what it keeps, and readers of its state read it afresh.
      this._lastSeq = 0;
      this._storeSeq(0, { force: true });
      this._resynced.emit();
      return;
    }
    if (
      typeof payload?.seq !== 'number' ||
      typeof payload?.event !== 'string'
    ) {
      return; // pong and other control messages
    }
    // A reconnect may replay what was already delivered: each seq is handled once.
    if (payload.seq <= this._lastSeq) {
      return;
    }
    this._lastSeq = payload.seq;
    this._storeSeq(payload.seq);
    try {
      this._received.emit(payload as IMaestroEvent);
    } catch (error) {
      console.error('Maestro: an event handler failed', error);
    }
  }

  private _onClose(socket: WebSocket): void {
    if (socket !== this._socket) {
      return;
    }
    const wasOpen = this._pingTimer !== null;
    this._socket = null;
    this._clearTimers();
    if (wasOpen) {
      this._connectionChanged.emit(false);
    }
    this._retryLater();
  }

  /**
   * Where to resume: the stored position, unless it is beyond the server's last event (it
   * belongs to another database); with none stored, the server's last event, so a new
   * browser starts with what happens from now on instead of replaying all history.
   */
  private async _findPosition(): Promise<void> {
    const stored = this._readStoredSeq();
    let serverSeq: number | null = null;
    try {
      serverSeq = await this._fetchLastSeq();
    } catch (error) {
      if (stored === null) {
        throw error;
      }
      console.warn('Maestro: cannot read the server status', error);
    }
    this._lastSeq =
      stored === null || (serverSeq !== null && stored > serverSeq)
        ? (serverSeq ?? 0)
        : stored;
    this._isPositioned = true;
    // Remember the starting point now: a spawn made before the next reload is then replayed
    // even if this window sees no event at all before it closes.
    this._storeSeq(this._lastSeq, { force: this._lastSeq !== stored });
  }

  /** Exponential backoff with "equal jitter": never zero, never in lock-step with other tabs. */
  private _retryLater(): void {
    if (this._isDisposed) {
      return;
    }
    const ceiling = Math.min(
      this._maxDelayMs,
      this._initialDelayMs * 2 ** this._attempts
    );
    const delay = ceiling / 2 + Math.random() * (ceiling / 2);
    this._attempts += 1;
    this._reconnectTimer = window.setTimeout(() => void this._connect(), delay);
  }

  private _ping(): void {
    const socket = this._socket;
    if (!socket || socket.readyState !== WebSocket.OPEN) {
      return;
    }
    // A socket silent through two pings is dead even if the browser has not noticed yet.
    if (Date.now() - this._lastHeard > this._pingIntervalMs * 2.5) {
      socket.close();
      return;
    }
    socket.send(JSON.stringify({ type: 'ping' }));
  }

  private _onOnline = (): void => {
    if (!this._socket && !this._isDisposed) {
      this._attempts = 0;
      void this._connect();
    }
  };

  private _clearTimers(): void {
    if (this._pingTimer !== null) {
      window.clearInterval(this._pingTimer);
      this._pingTimer = null;
    }
    if (this._reconnectTimer !== null) {
      window.clearTimeout(this._reconnectTimer);
      this._reconnectTimer = null;
    }
  }

  private _readStoredSeq(): number | null {
    const value = this._storage?.getItem(this._storageKey);
    const seq = value === null || value === undefined ? NaN : Number(value);
    return Number.isInteger(seq) && seq >= 0 ? seq : null;
  }

  private _storeSeq(seq: number, options: { force?: boolean } = {}): void {
    try {
      // Several Lab windows share the key: keep the furthest position.
      const stored = this._readStoredSeq();
      if (options.force || stored === null || seq > stored) {
        this._storage?.setItem(this._storageKey, String(seq));
      }
    } catch {
      // Storage full or disabled: the position then lives in memory only.
    }
  }

  private _settings: ServerConnection.ISettings;
  private _fetchLastSeq: () => Promise<number>;
  private _storage: Storage | null;
  private _storageKey: string;
  private _pingIntervalMs: number;
  private _initialDelayMs: number;
  private _maxDelayMs: number;
  private _socket: WebSocket | null = null;
  private _lastSeq = 0;
  private _isPositioned = false;
  private _connecting = false;
  private _lastHeard = 0;
  private _attempts = 0;
  private _pingTimer: number | null = null;
  private _reconnectTimer: number | null = null;
  private _isDisposed = false;
  private _received = new Signal<this, IMaestroEvent>(this);
  private _connectionChanged = new Signal<this, boolean>(this);
  private _resynced = new Signal<this, void>(this);
}
