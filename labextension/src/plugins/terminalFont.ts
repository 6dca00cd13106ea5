/**
 * Follows the font of Lab's terminals, with which a spawn from Lab sizes the agent's terminal.
 */

import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ISettingRegistry } from '@jupyterlab/settingregistry';

import { DEFAULT_TERMINAL_FONT, ITerminalFont } from '../terminalSize';
import { IMaestroTerminalFont } from '../tokens';

const TERMINAL_SETTINGS_ID = '@jupyterlab/terminal-extension:plugin';

export const terminalFontPlugin: JupyterFrontEndPlugin<IMaestroTerminalFont> = {
  id: 'maestro-jupyter:terminal-font',
  description: "Follows the font of Lab's terminal settings.",
  autoStart: true,
  optional: [ISettingRegistry],
  provides: IMaestroTerminalFont,
  activate: (
    app: JupyterFrontEnd,
    settingRegistry: ISettingRegistry | null
  ): IMaestroTerminalFont => {
    const terminal: { font: ITerminalFont } = {
      font: { ...DEFAULT_TERMINAL_FONT }
    };
    settingRegistry
      ?.load(TERMINAL_SETTINGS_ID)
      .then(settings => {
        const update = () => {
          terminal.font = {
            fontFamily: settings.get('fontFamily').composite as string,
            fontSize: settings.get('fontSize').composite as number,
            lineHeight: settings.get('lineHeight').composite as number
          };
        };
        settings.changed.connect(update);
        update();
      })
      .catch(() => undefined); // no terminal extension: Lab's defaults stand
    return terminal;
  }
};
