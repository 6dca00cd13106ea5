/** A task priority picker, most urgent first. */

import * as React from 'react';

import { PRIORITIES, Priority } from '../vocabulary';

const MOST_URGENT_FIRST = [...PRIORITIES].reverse();

export function PrioritySelect(props: {
  value: Priority;
  onChange: (priority: Priority) => void;
  label: string;
}): JSX.Element {
  return (
    <select
      className="maestro-Select"
      aria-label={props.label}
      value={props.value}
      onChange={event => props.onChange(event.target.value as Priority)}
    >
      {MOST_URGENT_FIRST.map(priority => (
        <option key={priority} value={priority}>
          {priority}
        </option>
      ))}
    </select>
  );
}
