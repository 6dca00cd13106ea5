/**
 * Side-by-side rows from a unified diff (git's), and from two texts (a notebook cell's base
 * and current source). A row pairs a base line with a current line; either may be absent.
 */

export interface ISideRow {
  kind: 'same' | 'changed' | 'removed' | 'added' | 'hunk';
  left?: { number: number; text: string };
  right?: { number: number; text: string };
  /** The `@@ … @@` line of a hunk. */
  text?: string;
}

/** Pair each run of removed lines with the run of added lines after it. */
function pairRuns(
  rows: ISideRow[],
  removed: Array<{ number: number; text: string }>,
  added: Array<{ number: number; text: string }>
): void {
  const count = Math.max(removed.length, added.length);
  for (let i = 0; i < count; i++) {
    const left = removed[i];
    const right = added[i];
    rows.push({
      kind: left && right ? 'changed' : left ? 'removed' : 'added',
      left,
      right
    });
  }
  removed.length = 0;
  added.length = 0;
}

export function rowsOfUnifiedDiff(diff: string): ISideRow[] {
  const rows: ISideRow[] = [];
  const removed: Array<{ number: number; text: string }> = [];
  const added: Array<{ number: number; text: string }> = [];
  let left = 0;
  let right = 0;
  let inHunk = false;
  for (const line of diff.split('\n')) {
    const hunk = /^@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@/.exec(line);
    if (hunk) {
      pairRuns(rows, removed, added);
      left = Number(hunk[1]);
      right = Number(hunk[2]);
      inHunk = true;
      rows.push({ kind: 'hunk', text: line });
      continue;
    }
    if (!inHunk || line.startsWith('\\')) {
      continue; // file headers, "\ No newline at end of file"
    }
    if (line.startsWith('-')) {
      removed.push({ number: left++, text: line.slice(1) });
    } else if (line.startsWith('+')) {
      added.push({ number: right++, text: line.slice(1) });
    } else if (line.startsWith(' ') || line === '') {
      pairRuns(rows, removed, added);
      if (line === '' && diff.endsWith(line)) {
        continue;
      }
      rows.push({
        kind: 'same',
        left: { number: left++, text: line.slice(1) },
        right: { number: right++, text: line.slice(1) }
      });
    } else {
      inHunk = false;
    }
  }
  pairRuns(rows, removed, added);
  // A trailing empty context line is the split's artefact of the final newline.
  const lastRow = rows[rows.length - 1];
  if (
    lastRow?.kind === 'same' &&
    lastRow.left?.text === '' &&
    diff.endsWith('\n')
  ) {
    rows.pop();
  }
  return rows;
}

/** Lines longer than this product fall back to "all removed, all added" (cells are small). */
const MAX_CELLS = 4_000_000;

/** A line diff of two texts (longest common subsequence), as side-by-side rows. */
export function rowsOfTexts(base: string, current: string): ISideRow[] {
  const a = base.split('\n');
  const b = current.split('\n');
  const rows: ISideRow[] = [];
  const removed: Array<{ number: number; text: string }> = [];
  const added: Array<{ number: number; text: string }> = [];
  if (a.length * b.length > MAX_CELLS) {
    pairRuns(
      rows,
      a.map((text, i) => ({ number: i + 1, text })),
      b.map((text, i) => ({ number: i + 1, text }))
    );
    return rows;
  }
  // lengths[i][j]: the LCS of a[i:] and b[j:].
  const lengths = Array.from({ length: a.length + 1 }, () =>
    new Array<number>(b.length + 1).fill(0)
  );
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      lengths[i][j] =
        a[i] === b[j]
          ? lengths[i + 1][j + 1] + 1
          : Math.max(lengths[i + 1][j], lengths[i][j + 1]);
    }
  }
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      pairRuns(rows, removed, added);
      rows.push({
        kind: 'same',
        left: { number: i + 1, text: a[i] },
        right: { number: j + 1, text: b[j] }
      });
      i++;
      j++;
    } else if (
      j >= b.length ||
      (i < a.length && lengths[i + 1][j] >= lengths[i][j + 1])
    ) {
      removed.push({ number: i + 1, text: a[i] });
      i++;
    } else {
      added.push({ number: j + 1, text: b[j] });
      j++;
    }
  }
  pairRuns(rows, removed, added);
  return rows;
}
