// The window's layout: header on top, profiles on the left, the main area on the right. It loads
// app_info once and hands it down; later state (profiles, sessions) arrives the same way.
import { LitElement, css, html, nothing } from "lit";

import { type AppInfo, ApiError, appInfo } from "../api.js";
import "./app-header.js";
import "./profile-list.js";
import "./welcome-panel.js";

export class AppShell extends LitElement {
  static override properties = {
    info: { state: true },
    error: { state: true },
  };

  declare info: AppInfo | null;
  declare error: ApiError | null;

  /** Settles once the first app_info call has been handled; tests await it. */
  ready: Promise<void> = Promise.resolve();

  constructor() {
    super();
    this.info = null;
    this.error = null;
  }

  static override styles = css`
    :host {
      display: grid;
      grid-template:
        "header header" auto
        "banner banner" auto
        "side main" 1fr / 280px 1fr;
      height: 100%;
      min-height: 0;
    }
    bai-app-header {
      grid-area: header;
    }
    .banner {
      grid-area: banner;
      margin: 0;
      padding: var(--bai-space-2) var(--bai-space-5);
      background: var(--bai-danger-soft);
      color: var(--bai-danger);
      border-bottom: 1px solid var(--bai-border);
      font-size: 13px;
    }
    .banner code {
      font-family: var(--bai-font-mono);
      font-size: 12px;
      opacity: 0.8;
    }
    bai-profile-list {
      grid-area: side;
    }
    main {
      grid-area: main;
      min-width: 0;
      min-height: 0;
      overflow: auto;
    }
  `;

  override connectedCallback() {
    super.connectedCallback();
    this.ready = this.loadInfo();
  }

  private async loadInfo(): Promise<void> {
    try {
      this.info = await appInfo();
      this.error = null;
    } catch (e) {
      this.error = e instanceof ApiError ? e : new ApiError("unknown", String(e));
    }
  }

  override render() {
    return html`
      <bai-app-header .info=${this.info}></bai-app-header>
      ${this.error
        ? html`<p class="banner" role="alert" data-testid="error-banner">
            ${this.error.message} <code>${this.error.code}</code>
          </p>`
        : nothing}
      <bai-profile-list></bai-profile-list>
      <main>
        <bai-welcome-panel></bai-welcome-panel>
      </main>
    `;
  }
}

customElements.define("bai-app-shell", AppShell);

declare global {
  interface HTMLElementTagNameMap {
    "bai-app-shell": AppShell;
  }
}
