/**
 * Run a callback the first time an element comes near the visible part of the board (not
 * while its panel is hidden or it is scrolled far away), so a board of thousands of cards
 * reads only what someone looks at.
 */

import * as React from 'react';

/** How far outside the visible area an element already counts as visible. */
const AHEAD = '200px';

export function useOnceVisible<T extends Element>(
  onVisible: () => void
): React.RefObject<T> {
  const ref = React.useRef<T>(null);
  const callback = React.useRef(onVisible);
  callback.current = onVisible;
  React.useEffect(() => {
    const node = ref.current;
    if (!node) {
      return;
    }
    const observer = new IntersectionObserver(
      entries => {
        if (entries.some(entry => entry.isIntersecting)) {
          observer.disconnect();
          callback.current();
        }
      },
      { rootMargin: AHEAD }
    );
    observer.observe(node);
    return () => observer.disconnect();
  }, []);
  return ref;
}
