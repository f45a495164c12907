// The top bar: product name, version, and a marker on debug builds.
import { LitElement, css, html, nothing } from "lit";

import type { AppInfo } from "../api.js";
import { buttonStyles } from "../styles/shared.js";
import { logo } from "./logo.js";

export class AppHeader extends LitElement {
  static override properties = {
    info: { attribute: false },
    canQuickStart: { attribute: false },
  };

  /** A default profile exists (quick start launches on it). */
  declare canQuickStart: boolean;

  /** Null while app_info is loading or when it failed. */
  declare info: AppInfo | null;

  constructor() {
    super();
    this.info = null;
    this.canQuickStart = false;
  }

  private quickStart() {
    this.dispatchEvent(new CustomEvent("quick-start", { bubbles: true, composed: true }));
  }

  static override styles = [buttonStyles, css`
    :host {
      display: flex;
      align-items: center;
      gap: var(--bai-space-3);
      height: 52px;
      padding: 0 var(--bai-space-5);
      background: var(--bai-surface);
      border-bottom: 1px solid var(--bai-border);
    }
    h1 {
      margin: 0;
      font-size: 15px;
      font-weight: 650;
      letter-spacing: -0.01em;
    }
    .version {
      font-family: var(--bai-font-mono);
      font-size: 12px;
      color: var(--bai-text-muted);
      padding: 2px var(--bai-space-2);
      border: 1px solid var(--bai-border);
      border-radius: 999px;
    }
    .debug {
      font-size: 11px;
      font-weight: 600;
      text-transform: uppercase;
      letter-spacing: 0.04em;
      color: var(--bai-warning-text);
      background: var(--bai-warning-soft);
      padding: 2px var(--bai-space-2);
      border-radius: 999px;
    }
    .spacer {
      flex: 1;
    }
    .api {
      font-size: 12px;
      color: var(--bai-text-muted);
    }
  `];

  override render() {
    const info = this.info;
    return html`
      ${logo(26)}
      <h1>Backend.AI Launcher</h1>
      ${info
        ? html`<span class="version" data-testid="version" title="Launcher version"
            >v${info.version}</span
          >`
        : nothing}
      ${info?.build === "debug"
        ? html`<span class="debug" title="A development build">debug build</span>`
        : nothing}
      <span class="spacer"></span>
      ${info
        ? html`<span class="api" data-testid="api-range"
            >Backend.AI API ${info.apiVersions.oldest} – ${info.apiVersions.newest}</span
          >`
        : nothing}
      <button class="btn btn-primary" data-testid="quick-start" ?disabled=${!this.canQuickStart}
        title=${this.canQuickStart ? "Launch the default profile's quick-start notebook" : "Make a profile the default first"}
        @click=${this.quickStart}>Quick start</button>
    `;
  }
}

customElements.define("bai-app-header", AppHeader);

declare global {
  interface HTMLElementTagNameMap {
    "bai-app-header": AppHeader;
  }
}
