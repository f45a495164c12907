// Styles several components share (buttons, visually hidden text). Colours come from the tokens
// in theme.css, so light and dark follow prefers-color-scheme without per-component rules.
import { css } from "lit";

export const buttonStyles = css`
  .btn {
    display: inline-flex;
    align-items: center;
    justify-content: center;
    gap: var(--bai-space-2);
    min-height: 34px;
    padding: 0 var(--bai-space-4);
    border-radius: var(--bai-radius-sm);
    border: 1px solid transparent;
    font: inherit;
    font-weight: 600;
    cursor: pointer;
    transition:
      background-color 120ms ease,
      border-color 120ms ease;
  }
  .btn:focus-visible {
    outline: 2px solid var(--bai-accent);
    outline-offset: 2px;
  }
  .btn-primary {
    background: var(--bai-accent);
    color: var(--bai-on-accent);
  }
  .btn-primary:hover:not(:disabled) {
    background: var(--bai-accent-hover);
  }
  .btn-secondary {
    background: var(--bai-surface);
    color: var(--bai-text);
    border-color: var(--bai-border);
  }
  .btn-secondary:hover:not(:disabled) {
    border-color: var(--bai-accent);
  }
  .btn:disabled {
    cursor: not-allowed;
    opacity: 0.55;
  }
`;

export const srOnly = css`
  .sr-only {
    position: absolute;
    width: 1px;
    height: 1px;
    overflow: hidden;
    clip-path: inset(50%);
    white-space: nowrap;
  }
`;
