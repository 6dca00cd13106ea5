/** "live" while the event stream is connected, "offline" while it reconnects. */

import * as React from 'react';

export function ConnectionIndicator(props: {
  isConnected: boolean;
}): JSX.Element {
  const { isConnected } = props;
  return (
    <span
      className={`maestro-Connection ${isConnected ? 'maestro-mod-live' : ''}`}
      title={isConnected ? 'Live' : 'Reconnecting to the server…'}
    >
      {isConnected ? 'live' : 'offline'}
    </span>
  );
}
