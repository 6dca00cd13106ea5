/**
 * Maestro for JupyterLab: spawned agent sessions open as tabs, and a task board in the sidebar.
 */

import { JupyterFrontEndPlugin } from '@jupyterlab/application';

import { attentionPlugin } from './plugins/attention';
import { boardPlugin } from './board/plugin';
import { commandsPlugin } from './plugins/commands';
import { eventsPlugin } from './plugins/events';
import { modelPlugin } from './plugins/model';
import { openerPlugin } from './plugins/opener';
import { panelPlugin } from './plugins/panel';
import { sessionActionsPlugin } from './plugins/sessionActions';
import { reviewPlugin } from './review/plugin';
import { terminalFontPlugin } from './plugins/terminalFont';

export * from './tokens';

const plugins: JupyterFrontEndPlugin<any>[] = [
  eventsPlugin,
  openerPlugin,
  terminalFontPlugin,
  modelPlugin,
  panelPlugin,
  commandsPlugin,
  attentionPlugin,
  sessionActionsPlugin,
  boardPlugin,
  reviewPlugin
];

export default plugins;
