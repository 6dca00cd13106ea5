/**
 * Spawning a session from Lab: the request carries the main area's size in terminal cells so
 * the agent draws its first frame at the size of the tab it will appear in.
 */

import { Notification } from '@jupyterlab/apputils';

import { ISpawnOptions, MaestroAPI } from './api';
import { IMaestroTerminalOpener } from './tokens';
import { ISession } from './types';

/** Lab's default terminal font size and xterm's scrollbar and padding, in pixels. */
const TERMINAL_FONT_SIZE = 13;
const TERMINAL_CHROME = { width: 24, height: 40 };

function measureCell(fontSize: number): { width: number; height: number } {
  const probe = document.createElement('span');
  probe.style.cssText = `position:absolute;visibility:hidden;white-space:pre;font-family:monospace;font-size:${fontSize}px;line-height:normal`;
  probe.textContent = 'W'.repeat(50);
  document.body.appendChild(probe);
  const box = probe.getBoundingClientRect();
  probe.remove();
  return { width: box.width / 50 || 8, height: box.height || 17 };
}

/** The main area's size in terminal cells (what a new terminal tab will get). */
export function mainAreaTerminalSize(): { cols: number; rows: number } {
  const main =
    document.getElementById('jp-main-dock-panel') ??
    document.querySelector('.jp-LabShell') ??
    document.body;
  const cell = measureCell(TERMINAL_FONT_SIZE);
  const cols = Math.floor((main.clientWidth - TERMINAL_CHROME.width) / cell.width);
  const rows = Math.floor((main.clientHeight - TERMINAL_CHROME.height) / cell.height);
  return { cols: Math.max(40, Math.min(cols, 500)), rows: Math.max(10, Math.min(rows, 200)) };
}

/** Spawn a session for tasks and bring its tab forward; throws the server's error. */
export async function spawnFromLab(
  opener: IMaestroTerminalOpener,
  options: Omit<ISpawnOptions, 'cols' | 'rows'>
): Promise<ISession> {
  const session = await MaestroAPI.spawnSession({
    ...options,
    ...mainAreaTerminalSize()
  });
  Notification.success(`Spawned session ${session.name}`, { autoClose: 4000 });
  await opener.open(session, { activate: true });
  return session;
}
