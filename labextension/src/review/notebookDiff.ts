/**
 * A notebook's changes cell by cell, from the server's nbdime diff (`{base, diff}`): nbdime's
 * diff format applied to the base notebook here, so the review needs none of nbdime's front
 * end. Sequences take `addrange`, `removerange` and `patch` at base indices; mappings take
 * `add`, `remove`, `replace` and `patch`; a cell's `source` is patched line by line, and a
 * line character by character.
 */

export interface IDiffEntry {
  op: 'add' | 'remove' | 'replace' | 'patch' | 'addrange' | 'removerange';
  key: string | number;
  value?: any;
  valuelist?: any;
  length?: number;
  diff?: IDiffEntry[];
}

export interface ICellChange {
  kind: 'added' | 'removed' | 'modified' | 'unchanged';
  cellType: string;
  base: string;
  current: string;
  /** The outputs or metadata changed (they are not shown, only said). */
  otherChanges: string[];
}

function sourceOf(cell: any): string {
  const source = cell?.source ?? '';
  return Array.isArray(source) ? source.join('') : String(source);
}

/** Split keeping the line ends, as nbdime does for strings diffed by line. */
function lines(text: string): string[] {
  return text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
}

/** Apply a sequence diff (indices are the base's). */
function patchList<T>(
  base: readonly T[],
  diff: readonly IDiffEntry[],
  patchItem: (item: T, diff: IDiffEntry[]) => T
): T[] {
  const result: T[] = [];
  const byKey = new Map<number, IDiffEntry[]>();
  for (const entry of diff) {
    const key = Number(entry.key);
    byKey.set(key, [...(byKey.get(key) ?? []), entry]);
  }
  let skip = 0;
  for (let i = 0; i <= base.length; i++) {
    let patched: T | undefined;
    for (const entry of byKey.get(i) ?? []) {
      if (entry.op === 'addrange') {
        result.push(...(entry.valuelist as T[]));
      } else if (entry.op === 'removerange') {
        skip = Math.max(skip, entry.length ?? 1);
      } else if (entry.op === 'patch' && i < base.length) {
        patched = patchItem(base[i], entry.diff ?? []);
      }
    }
    if (i === base.length) {
      break;
    }
    if (skip > 0) {
      skip--;
      continue;
    }
    result.push(patched ?? base[i]);
  }
  return result;
}

function patchString(
  text: string,
  diff: IDiffEntry[],
  byLine: boolean
): string {
  if (byLine) {
    return patchList(lines(text), diff, (line, lineDiff) =>
      patchString(line, lineDiff, false)
    ).join('');
  }
  // Character ops: an addrange's valuelist is a string (or a list of characters).
  return patchList(
    [...text],
    diff.map(entry =>
      entry.op === 'addrange' && typeof entry.valuelist === 'string'
        ? { ...entry, valuelist: [...entry.valuelist] }
        : entry
    ),
    character => character
  ).join('');
}

function patchValue(value: any, diff: IDiffEntry[]): any {
  if (typeof value === 'string') {
    return patchString(value, diff, true);
  }
  if (Array.isArray(value)) {
    return patchList(value, diff, patchValue);
  }
  const result = { ...(value ?? {}) };
  for (const entry of diff) {
    const key = String(entry.key);
    if (entry.op === 'add' || entry.op === 'replace') {
      result[key] = entry.value;
    } else if (entry.op === 'remove') {
      delete result[key];
    } else if (entry.op === 'patch') {
      result[key] = patchValue(result[key], entry.diff ?? []);
    }
  }
  return result;
}

/** The cells of the notebook after the diff, each paired with what it was. */
export function cellChanges(base: any, diff: IDiffEntry[]): ICellChange[] {
  const baseCells: any[] = base?.cells ?? [];
  const cellsDiff = diff.find(entry => entry.key === 'cells');
  const changes: ICellChange[] = [];
  const byKey = new Map<number, IDiffEntry[]>();
  for (const entry of cellsDiff?.op === 'patch' ? (cellsDiff.diff ?? []) : []) {
    const key = Number(entry.key);
    byKey.set(key, [...(byKey.get(key) ?? []), entry]);
  }
  let removing = 0;
  for (let i = 0; i <= baseCells.length; i++) {
    let patch: IDiffEntry | undefined;
    for (const entry of byKey.get(i) ?? []) {
      if (entry.op === 'addrange') {
        for (const cell of entry.valuelist ?? []) {
          changes.push({
            kind: 'added',
            cellType: cell.cell_type ?? 'code',
            base: '',
            current: sourceOf(cell),
            otherChanges: []
          });
        }
      } else if (entry.op === 'removerange') {
        removing = Math.max(removing, entry.length ?? 1);
      } else if (entry.op === 'patch') {
        patch = entry;
      }
    }
    if (i === baseCells.length) {
      break;
    }
    const cell = baseCells[i];
    if (removing > 0) {
      removing--;
      changes.push({
        kind: 'removed',
        cellType: cell.cell_type ?? 'code',
        base: sourceOf(cell),
        current: '',
        otherChanges: []
      });
      continue;
    }
    if (!patch) {
      changes.push({
        kind: 'unchanged',
        cellType: cell.cell_type ?? 'code',
        base: sourceOf(cell),
        current: sourceOf(cell),
        otherChanges: []
      });
      continue;
    }
    const current = patchValue(
      { ...cell, source: sourceOf(cell) },
      patch.diff ?? []
    );
    // A cell id nbformat filled in on one side only is no change a person made.
    const otherChanges = (patch.diff ?? [])
      .map(entry => String(entry.key))
      .filter(key => key !== 'source' && key !== 'id');
    const same = sourceOf(current) === sourceOf(cell);
    changes.push({
      kind: same && !otherChanges.length ? 'unchanged' : 'modified',
      cellType: current.cell_type ?? cell.cell_type ?? 'code',
      base: sourceOf(cell),
      current: sourceOf(current),
      otherChanges
    });
  }
  return changes;
}
