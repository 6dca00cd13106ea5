/** The order in which a board shows task statuses: work under way first, closed work folded. */

import { TaskStatus } from '../vocabulary';

export const BOARD_STATUS_ORDER: readonly TaskStatus[] = [
  'in_progress',
  'blocked',
  'todo',
  'completed',
  'cancelled'
];

export const FOLDED_BY_DEFAULT: readonly TaskStatus[] = [
  'completed',
  'cancelled'
];
