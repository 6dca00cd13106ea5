/**
 * The main area's size in terminal cells: a spawn from Lab asks for it, so the agent draws its
 * first frame at the size of the tab it will appear in.
 */

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
