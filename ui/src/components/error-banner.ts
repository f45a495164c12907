// An inline error next to the action that failed: the message to read, the stable code small,
// and extra advice for codes that have some (keyring-unavailable, auth-failed).
import { LitElement, css, html, nothing } from "lit";

import { type CommandError, hintFor } from "../api.js";

export class ErrorBanner extends LitElement {
  static override properties = {
    error: { attribute: false },
  };

  declare error: CommandError | null;

  constructor() {
    super();
    this.error = null;
  }

  static override styles = css`
    :host {
      display: block;
    }
    .banner {
      margin: var(--bai-space-3) 0;
      padding: var(--bai-space-2) var(--bai-space-3);
      border: 1px solid color-mix(in srgb, var(--bai-danger) 35%, transparent);
      border-radius: var(--bai-radius-sm);
      background: var(--bai-danger-soft);
      color: var(--bai-danger);
      font-size: 13px;
      overflow-wrap: anywhere;
    }
    .hint {
      display: block;
      margin-top: var(--bai-space-1);
      color: var(--bai-text);
    }
    code {
      display: inline-block;
      margin-left: var(--bai-space-1);
      font-family: var(--bai-font-mono);
      font-size: 11px;
      opacity: 0.75;
    }
  `;

  override render() {
    const e = this.error;
    if (!e) return nothing;
    const hint = hintFor(e.code);
    return html`<p class="banner" role="alert" data-testid="error-banner">
      <span data-testid="error-message">${e.message}</span>
      <code data-testid="error-code">${e.code}</code>
      ${hint ? html`<span class="hint" data-testid="error-hint">${hint}</span>` : nothing}
    </p>`;
  }
}

customElements.define("bai-error-banner", ErrorBanner);

declare global {
  interface HTMLElementTagNameMap {
    "bai-error-banner": ErrorBanner;
  }
}
