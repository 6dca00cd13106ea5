/**
 * Re-render a component whenever the board's model changes. Cards below it are memoised on
 * their task's entry, so only the card an event touched renders again.
 */

import * as React from 'react';

import { BoardModel } from '../model/boardModel';

export function useBoardModel(model: BoardModel): void {
  const [, setTick] = React.useState(0);
  React.useEffect(() => {
    const update = () => setTick(tick => tick + 1);
    model.changed.connect(update);
    return () => {
      model.changed.disconnect(update);
    };
  }, [model]);
}
