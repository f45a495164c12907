// The product mark, the same drawing as icons/icon.svg, inline so it needs no asset request.
import { svg } from "lit";

export const logo = (size = 28) => svg`
  <svg width=${size} height=${size} viewBox="64 64 896 896" aria-hidden="true" focusable="false">
    <defs>
      <linearGradient id="bai-logo-bg" x1="0" y1="0" x2="1" y2="1">
        <stop offset="0" stop-color="#5b5cf0" />
        <stop offset="1" stop-color="#2b2f8f" />
      </linearGradient>
    </defs>
    <rect x="64" y="64" width="896" height="896" rx="200" fill="url(#bai-logo-bg)" />
    <g transform="translate(28 0)">
      <path d="M330 300 h-70 a40 40 0 0 0 -40 40 v344 a40 40 0 0 0 40 40 h70" fill="none"
        stroke="#fff" stroke-width="56" stroke-linecap="round" stroke-linejoin="round" />
      <path d="M440 350 L440 674 a28 28 0 0 0 42 24 L760 536 a28 28 0 0 0 0 -48 L482 326 a28 28 0 0 0 -42 24 Z"
        fill="#fff" />
      <circle cx="792" cy="292" r="44" fill="#8ef0c8" />
    </g>
  </svg>
`;
