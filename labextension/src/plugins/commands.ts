/**
 * Maestro's commands, in the palette and the launcher.
 */

import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette, InputDialog } from '@jupyterlab/apputils';
import { ILauncher } from '@jupyterlab/launcher';

import { MaestroAPI } from '../api';
import { maestroIcon } from '../icon';
import { BoardModel } from '../model/boardModel';
import { isClosed } from '../model/boardState';
import { notifyError } from '../request';
import { IMaestroBoardModel, IMaestroPanel } from '../tokens';
import { ITask } from '../types';
import { Role } from '../vocabulary';

export namespace CommandIDs {
  export const openPanel = 'maestro:open-panel';
  export const newTask = 'maestro:new-task';
  export const spawnSession = 'maestro:spawn-session';
}

const CATEGORY = 'Maestro';

/** Ask which open task a session should work on (read afresh: it may be seconds old). */
async function pickTask(): Promise<ITask | null> {
  const tasks = (await MaestroAPI.listTasks()).filter(task => !isClosed(task));
  if (!tasks.length) {
    notifyError(
      'Spawning a session',
      new Error('there is no open task: create one first')
    );
    return null;
  }
  const labels = tasks.map(task => `${task.title} (${task.id})`);
  const answer = await InputDialog.getItem({
    title: 'Spawn a session for…',
    items: labels
  });
  if (!answer.button.accept || answer.value === null) {
    return null;
  }
  return tasks[labels.indexOf(answer.value)] ?? null;
}

export const commandsPlugin: JupyterFrontEndPlugin<void> = {
  id: 'maestro-jupyter:commands',
  description: 'Maestro commands, palette entries and launcher item.',
  autoStart: true,
  requires: [IMaestroPanel, IMaestroBoardModel],
  optional: [ICommandPalette, ILauncher],
  activate: (
    app: JupyterFrontEnd,
    panel: IMaestroPanel,
    model: BoardModel,
    palette: ICommandPalette | null,
    launcher: ILauncher | null
  ): void => {
    const { commands, shell } = app;

    commands.addCommand(CommandIDs.openPanel, {
      label: args => (args.isLauncher ? 'Maestro' : 'Open the Maestro Panel'),
      caption: 'Tasks and agent sessions',
      icon: args => (args.isPalette ? undefined : maestroIcon),
      execute: () => shell.activateById(panel.id)
    });

    commands.addCommand(CommandIDs.newTask, {
      label: 'New Maestro Task',
      caption: 'Create a task on the Maestro board',
      execute: () => {
        shell.activateById(panel.id);
        panel.startNewTask();
      }
    });

    commands.addCommand(CommandIDs.spawnSession, {
      label: 'Spawn Maestro Session…',
      caption: 'Start an agent session for a task (args: taskIds, role, agent)',
      execute: async args => {
        try {
          let taskIds = (args.taskIds as string[] | undefined) ?? [];
          if (!taskIds.length) {
            const task = await pickTask();
            if (!task) {
              return;
            }
            taskIds = [task.id];
          }
          return await model.spawn({
            taskIds,
            role: (args.role as Role | undefined) ?? 'worker',
            agent: args.agent as string | undefined
          });
        } catch (error) {
          notifyError('Spawning a session', error);
        }
      }
    });

    for (const command of Object.values(CommandIDs)) {
      palette?.addItem({ command, category: CATEGORY });
    }
    launcher?.add({
      command: CommandIDs.openPanel,
      category: 'Other',
      rank: 10,
      args: { isLauncher: true }
    });
  }
};
