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

/** What a spawn is for: a task, or none (the agent then claims the project's next ready task). */
type SpawnTarget = { task: ITask } | { task: null };

/**
 * Ask which open task of the picked project a session should work on (read afresh: the
 * board may be seconds old), or none.
 */
async function pickTask(model: BoardModel): Promise<SpawnTarget | null> {
  const projectId = model.projectId ?? undefined;
  const tasks = (await MaestroAPI.listTasks(projectId)).filter(
    task => !isClosed(task)
  );
  const where = model.project ? ` of ${model.project.name}` : '';
  const noTask = `No task: the agent claims the next ready task${where}`;
  const labels = [noTask, ...tasks.map(task => `${task.title} (${task.id})`)];
  const answer = await InputDialog.getItem({
    title: 'Spawn a session for…',
    items: labels,
    current: tasks.length ? 1 : 0
  });
  if (!answer.button.accept || answer.value === null) {
    return null;
  }
  return answer.value === noTask
    ? { task: null }
    : { task: tasks[labels.indexOf(answer.value) - 1] ?? null };
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
      caption:
        'Start an agent session for a task, or for none: it claims the next ready one ' +
        '(args: taskIds, projectId, role, agent, force)',
      execute: async args => {
        try {
          let taskIds = args.taskIds as string[] | undefined;
          if (!taskIds) {
            const target = await pickTask(model);
            if (!target) {
              return;
            }
            taskIds = target.task ? [target.task.id] : [];
          }
          return await model.spawn({
            taskIds,
            projectId: args.projectId as string | undefined,
            role: (args.role as Role | undefined) ?? 'worker',
            agent: args.agent as string | undefined,
            force: args.force as boolean | undefined
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
