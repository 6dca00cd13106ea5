/**
 * A scrolling list that renders only the rows in (and a little around) its visible part, so a
 * board of 10,000 tasks keeps a few dozen rows in the DOM. Rows may differ in height: each
 * row's height is measured once rendered (and again when it changes) and estimated until then.
 * Hand-rolled to keep the extension free of a windowing dependency. A short list is rendered
 * whole.
 */

import * as React from 'react';

/** How far beyond the visible part rows are still rendered, in pixels. */
const OVERSCAN = 400;

/**
 * Up to this many rows are all rendered: a small board needs no windowing, and keeps the
 * browser's find-in-page over every card.
 */
const RENDER_ALL_UP_TO = 150;

/**
 * A list rendered whole mounts this many more rows in each task: mounting a hundred full
 * cards at once would be a long task.
 */
const ROWS_PER_TASK = 25;

export interface IVirtualListProps {
  /** One key per row, in order. */
  keys: readonly string[];
  /** A row's height before it was measured. */
  estimate: (key: string) => number;
  renderRow: (key: string) => React.ReactNode;
  className?: string;
  /** Scroll this row into view when it changes (keyboard navigation). */
  scrollToKey?: string | null;
  /** Any of the container's own attributes (role, aria-label, key handlers). */
  containerProps?: React.HTMLAttributes<HTMLDivElement>;
}

export function VirtualList(props: IVirtualListProps): JSX.Element {
  const { keys, estimate, renderRow, scrollToKey } = props;
  const container = React.useRef<HTMLDivElement>(null);
  const heights = React.useRef(new Map<string, number>());
  const [scrollTop, setScrollTop] = React.useState(0);
  const [viewport, setViewport] = React.useState(800);
  const [measured, setMeasured] = React.useState(0);
  const [mounted, setMounted] = React.useState(ROWS_PER_TASK);

  // One observer measures every rendered row; a changed height re-lays the list out once
  // per frame, however many rows changed.
  const observer = React.useMemo(() => {
    let frame = 0;
    return new ResizeObserver(entries => {
      let changed = false;
      for (const entry of entries) {
        const key = (entry.target as HTMLElement).dataset.rowKey;
        const height = (entry.target as HTMLElement).offsetHeight;
        if (
          key !== undefined &&
          height &&
          heights.current.get(key) !== height
        ) {
          heights.current.set(key, height);
          changed = true;
        }
      }
      if (changed && !frame) {
        frame = requestAnimationFrame(() => {
          frame = 0;
          setMeasured(tick => tick + 1);
        });
      }
    });
  }, []);
  React.useEffect(() => () => observer.disconnect(), [observer]);

  React.useEffect(() => {
    const node = container.current;
    if (!node) {
      return;
    }
    const sized = new ResizeObserver(() => {
      if (node.clientHeight) {
        setViewport(node.clientHeight);
      }
    });
    sized.observe(node);
    return () => sized.disconnect();
  }, []);

  const onScroll = React.useCallback(() => {
    setScrollTop(container.current?.scrollTop ?? 0);
  }, []);

  // Offsets: a linear pass over the heights, redone only when the rows or a measured height
  // change (not on each scroll or re-render); `estimate` must answer the same for a key.
  const offsets = React.useMemo(() => {
    const offsets = new Float64Array(keys.length + 1);
    for (let i = 0; i < keys.length; i++) {
      offsets[i + 1] =
        offsets[i] + (heights.current.get(keys[i]) ?? estimate(keys[i]));
    }
    return offsets;
  }, [keys, measured]);
  const total = offsets[keys.length];
  const windowed = keys.length > RENDER_ALL_UP_TO;
  const top = windowed ? Math.max(0, scrollTop - OVERSCAN) : 0;
  const bottom = windowed ? scrollTop + viewport + OVERSCAN : Infinity;
  let low = 0;
  let high = keys.length;
  while (low < high) {
    // The first row whose bottom is below `top`.
    const middle = (low + high) >> 1;
    if (offsets[middle + 1] <= top) {
      low = middle + 1;
    } else {
      high = middle;
    }
  }
  const first = low;
  let last = first;
  while (last < keys.length && offsets[last] < bottom) {
    last++;
  }
  if (!windowed) {
    last = Math.min(last, mounted);
  }

  // The rest of a list rendered whole, in the next tasks (a timer: rows are rendered only
  // while the list is shown, so it is never a hidden tab's throttled one).
  React.useEffect(() => {
    if (windowed || mounted >= keys.length) {
      return;
    }
    const timer = setTimeout(() => setMounted(count => count + ROWS_PER_TASK));
    return () => clearTimeout(timer);
  }, [windowed, mounted, keys.length]);

  React.useEffect(() => {
    const node = container.current;
    const index = scrollToKey ? keys.indexOf(scrollToKey) : -1;
    if (!node || index < 0) {
      return;
    }
    const rowTop = offsets[index];
    const rowBottom = offsets[index + 1];
    if (rowTop < node.scrollTop) {
      node.scrollTop = rowTop;
    } else if (rowBottom > node.scrollTop + node.clientHeight) {
      node.scrollTop = rowBottom - node.clientHeight;
    }
    // Only when the row asked for changes, not on every re-layout.
  }, [scrollToKey]);

  const rows: React.ReactNode[] = [];
  for (let i = first; i < last; i++) {
    const key = keys[i];
    rows.push(
      <VirtualRow key={key} rowKey={key} observer={observer}>
        {renderRow(key)}
      </VirtualRow>
    );
  }

  return (
    <div
      ref={container}
      className={`maestro-VirtualList ${props.className ?? ''}`}
      onScroll={onScroll}
      {...props.containerProps}
    >
      <div style={{ height: offsets[first] }} aria-hidden="true" />
      {rows}
      <div style={{ height: total - offsets[last] }} aria-hidden="true" />
    </div>
  );
}

function VirtualRow(props: {
  rowKey: string;
  observer: ResizeObserver;
  children: React.ReactNode;
}): JSX.Element {
  const { rowKey, observer } = props;
  const ref = React.useRef<HTMLDivElement>(null);
  React.useLayoutEffect(() => {
    const node = ref.current;
    if (!node) {
      return;
    }
    observer.observe(node);
    return () => observer.unobserve(node);
  }, [observer]);
  return (
    <div ref={ref} className="maestro-VirtualRow" data-row-key={rowKey}>
      {props.children}
    </div>
  );
}
