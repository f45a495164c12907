// Form and panel styles shared by the profile form, the profile page and the settings page.
import { css } from "lit";

export const panelStyles = css`
  :host {
    display: block;
    padding: var(--bai-space-6);
    overflow: auto;
  }
  .panel {
    max-width: 640px;
    margin: 0 auto;
  }
  h2 {
    margin: 0 0 var(--bai-space-1);
    font-size: 20px;
    font-weight: 650;
    letter-spacing: -0.015em;
  }
  .sub {
    margin: 0 0 var(--bai-space-5);
    color: var(--bai-text-muted);
  }
  .card {
    padding: var(--bai-space-5);
    background: var(--bai-surface);
    border: 1px solid var(--bai-border);
    border-radius: var(--bai-radius);
    box-shadow: var(--bai-shadow);
    margin-bottom: var(--bai-space-4);
  }
  .card h3 {
    margin: 0 0 var(--bai-space-3);
    font-size: 14px;
    font-weight: 600;
  }
  .actions {
    display: flex;
    align-items: center;
    flex-wrap: wrap;
    gap: var(--bai-space-2);
    margin-top: var(--bai-space-4);
  }
  .muted {
    color: var(--bai-text-muted);
    font-size: 13px;
  }
`;

export const formStyles = css`
  .field {
    display: grid;
    gap: var(--bai-space-1);
    margin-bottom: var(--bai-space-3);
  }
  .row {
    display: grid;
    grid-template-columns: 1fr 1fr;
    gap: var(--bai-space-3);
  }
  label,
  legend {
    font-size: 12px;
    font-weight: 600;
    color: var(--bai-text-muted);
  }
  input[type="text"],
  input[type="password"],
  input[type="url"],
  input[type="email"],
  input[type="number"],
  select {
    font: inherit;
    min-height: 34px;
    padding: 0 var(--bai-space-3);
    border: 1px solid var(--bai-border);
    border-radius: var(--bai-radius-sm);
    background: var(--bai-surface);
    color: var(--bai-text);
  }
  input:focus-visible,
  select:focus-visible {
    outline: 2px solid var(--bai-accent);
    outline-offset: 0;
    border-color: var(--bai-accent);
  }
  .inline {
    display: flex;
    gap: var(--bai-space-2);
  }
  .inline input {
    flex: 1;
  }
  fieldset {
    border: 0;
    margin: 0 0 var(--bai-space-3);
    padding: 0;
  }
  .choice {
    display: inline-flex;
    align-items: center;
    gap: var(--bai-space-2);
    margin-right: var(--bai-space-4);
    font-size: 13px;
    font-weight: 400;
    color: var(--bai-text);
  }
  .help {
    font-size: 12px;
    color: var(--bai-text-muted);
  }
  .ok {
    color: var(--bai-accent);
    font-size: 13px;
  }
`;
