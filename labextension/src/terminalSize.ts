/**
 * The main area's size in terminal cells: a spawn from Lab asks for it, so the agent draws its
 * first frame at the size of the tab it will appear in; and each Lab window reports that size to
 * the server, for spawns that name none. A tab must not change the agent's size before it has
 * been fitted.
 */

import { ITerminal } from '@jupyterlab/terminal';

/** The font of Lab's terminals (Settings > Terminal), which sets the size of a cell. */
export interface ITerminalFont {
  fontFamily: string;
  fontSize: number;
  lineHeight: number;
}

/** Lab's own defaults, for a Lab without the terminal extension's settings. */
export const DEFAULT_TERMINAL_FONT: ITerminalFont = {
  fontFamily: 'ui-monospace, monospace',
  fontSize: 13,
  lineHeight: 1.0
};

/** What a terminal tab takes from the main area: tab bar, padding and scrollbar, in pixels. */
const TERMINAL_CHROME = { width: 46, height: 73 };

/** A terminal cell in CSS pixels, rounded to device pixels as xterm's renderer does. */
function measureCell(font: ITerminalFont): { width: number; height: number } {
  const ratio = window.devicePixelRatio || 1;
  const context = document.createElement('canvas').getContext('2d');
  let width = font.fontSize * 0.6;
  if (context) {
    context.font = `${font.fontSize}px ${font.fontFamily}`;
    width = context.measureText('W').width;
  }
  const probe = document.createElement('span');
  probe.style.cssText = `position:absolute;visibility:hidden;white-space:pre;font-family:${font.fontFamily};font-size:${font.fontSize}px;line-height:normal`;
  probe.textContent = 'W';
  document.body.appendChild(probe);
  const height = probe.getBoundingClientRect().height || font.fontSize * 1.2;
  probe.remove();
  return {
    width: Math.max(1, Math.floor(width * ratio)) / ratio,
    height: Math.max(1, Math.floor(height * font.lineHeight * ratio)) / ratio
  };
}

/** The size a new terminal tab in the main area will get, in this font. */
export function mainAreaTerminalSize(font: ITerminalFont): {
  cols: number;
  rows: number;
} {
  const main =
    document.getElementById('jp-main-dock-panel') ??
    document.querySelector('.jp-LabShell') ??
    document.body;
  const cell = measureCell(font);
  const cols = Math.floor(
    (main.clientWidth - TERMINAL_CHROME.width) / cell.width
  );
  const rows = Math.floor(
    (main.clientHeight - TERMINAL_CHROME.height) / cell.height
  );
  // Within the server's accepted range (20..1000 columns, 5..500 rows).
  return {
    cols: Math.max(20, Math.min(cols, 1000)),
    rows: Math.max(5, Math.min(rows, 500))
  };
}

/**
 * Keep the agent's size until its tab is shown and fitted. Lab's terminal sends its size when
 * its socket connects, and an xterm that has never been shown still has its default 24x80:
 * a tab opened in the background would shrink the agent to 80 columns. Once the tab is shown,
 * its first fit sends the real size as usual.
 */
export function keepSizeUntilFitted(terminal: ITerminal.ITerminal): void {
  const session = terminal.session;
  const send = session.send.bind(session);
  session.send = message => {
    if (message.type === 'set_size' && !isFitted(terminal)) {
      return;
    }
    send(message);
  };
}

/** xterm is opened (and fitted) on the first update of a visible terminal. */
function isFitted(terminal: ITerminal.ITerminal): boolean {
  return (
    terminal.isVisible &&
    terminal.node.querySelector('.jp-Terminal-body') !== null
  );
}

/** How long the main area must keep a size before it is reported (a drag sends many). */
const REPORT_DELAY_MS = 250;

/**
 * Tells the server the size a terminal tab in this window's main area would have, on the
 * events socket (`{"type": "size", rows, cols}`): when the socket opens and when the main area
 * is resized. A spawn that names no size (the CLI's) then starts at it.
 */
export class TerminalSizeReporter {
  constructor(private readonly _font: () => ITerminalFont) {}

  /** A new events socket: report once it is open. */
  watch(socket: WebSocket): void {
    this._socket = socket;
    this._sent = null;
    socket.addEventListener('open', () => this.report());
  }

  /** Follow the main area's size (once the shell is attached). */
  observe(element: Element): void {
    let timer = 0;
    new ResizeObserver(() => {
      window.clearTimeout(timer);
      timer = window.setTimeout(() => this.report(), REPORT_DELAY_MS);
    }).observe(element);
  }

  report(): void {
    const socket = this._socket;
    if (!socket || socket.readyState !== WebSocket.OPEN) {
      return;
    }
    const { rows, cols } = mainAreaTerminalSize(this._font());
    const size = `${rows}x${cols}`;
    if (size !== this._sent) {
      this._sent = size;
      socket.send(JSON.stringify({ type: 'size', rows, cols }));
    }
  }

  private _socket: WebSocket | null = null;
  private _sent: string | null = null;
}
