/**
 * The number of sessions that need the person, on the Maestro sidebar icon: a
 * `data-maestro-needs-you` attribute on its tab, which style/attention.css draws as a badge.
 */

import { Title, Widget } from '@lumino/widgets';

const BADGE_KEY = 'maestro-needs-you';

/** Show `count` on the tab of `title` (nothing when 0). */
export function setNeedsYouBadge(title: Title<Widget>, count: number): void {
  const dataset = { ...title.dataset };
  if (count > 0) {
    dataset[BADGE_KEY] = String(count);
  } else {
    delete dataset[BADGE_KEY];
  }
  if (title.dataset[BADGE_KEY] !== dataset[BADGE_KEY]) {
    title.dataset = dataset;
  }
}
