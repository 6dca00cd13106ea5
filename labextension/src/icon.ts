/** Maestro's icon: a conductor's baton over a stave. */

import { LabIcon } from '@jupyterlab/ui-components';

const svg = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" width="16" height="16">
  <g class="jp-icon3" fill="#616161">
    <rect x="2" y="6" width="20" height="1.4" rx="0.7"/>
    <rect x="2" y="11" width="20" height="1.4" rx="0.7"/>
    <rect x="2" y="16" width="20" height="1.4" rx="0.7"/>
    <path d="M4.2 21.6 L19.6 3.1 a1.1 1.1 0 0 1 1.6 1.4 L5.6 22.8 a1 1 0 0 1-1.4-1.2z"/>
    <circle cx="4.6" cy="21.9" r="1.6"/>
  </g>
</svg>`;

export const maestroIcon = new LabIcon({
  name: 'maestro-jupyter:maestro',
  svgstr: svg
});
