// The left column: the user's Backend.AI profiles, and the ways to get one: add by hand,
// import the account the official Backend.AI client uses on this computer, or try the
// built-in demo.
import { LitElement, css, html, nothing } from "lit";

import {
  ApiError,
  DEMO_NEEDS_JUPYTERLAB,
  type ProfileList as ProfileListData,
  importEnvProfile,
  startDemo,
  toApiError,
} from "../api.js";
import { buttonStyles } from "../styles/shared.js";
import "./demo-setup.js";
import "./error-banner.js";
import { type View, navigate, profilesChanged } from "./events.js";

export class ProfileList extends LitElement {
  static override properties = {
    data: { attribute: false },
    view: { attribute: false },
    error: { state: true },
    busy: { state: true },
    needsJupyter: { state: true },
  };

  /** Null while loading. */
  declare data: ProfileListData | null;
  declare view: View;
  declare error: ApiError | null;
  declare busy: "" | "demo" | "import";
  /** "Try the demo" found no JupyterLab: the demo setup panel shows what to do. */
  declare needsJupyter: boolean;

  constructor() {
    super();
    this.data = null;
    this.view = { kind: "welcome" };
    this.error = null;
    this.busy = "";
    this.needsJupyter = false;
  }

  static override styles = [
    buttonStyles,
    css`
      :host {
        display: flex;
        flex-direction: column;
        min-height: 0;
        background: var(--bai-surface);
        border-right: 1px solid var(--bai-border);
      }
      .heading {
        display: flex;
        align-items: center;
        gap: var(--bai-space-2);
        padding: var(--bai-space-4) var(--bai-space-4) var(--bai-space-2);
      }
      h2 {
        margin: 0;
        flex: 1;
        font-size: 12px;
        font-weight: 600;
        text-transform: uppercase;
        letter-spacing: 0.06em;
        color: var(--bai-text-muted);
      }
      .count {
        font-size: 12px;
        color: var(--bai-text-muted);
      }
      .small {
        min-height: 28px;
        padding: 0 var(--bai-space-3);
        font-size: 13px;
      }
      ul {
        list-style: none;
        margin: 0;
        padding: 0 var(--bai-space-2);
        overflow: auto;
        flex: 1;
      }
      li button {
        display: grid;
        width: 100%;
        gap: 2px;
        padding: var(--bai-space-2) var(--bai-space-3);
        border: 1px solid transparent;
        border-radius: var(--bai-radius-sm);
        background: none;
        color: inherit;
        font: inherit;
        text-align: left;
        cursor: pointer;
      }
      li button:hover {
        background: var(--bai-surface-sunken);
      }
      li button[aria-current="true"] {
        background: var(--bai-accent-soft);
        border-color: color-mix(in srgb, var(--bai-accent) 30%, transparent);
      }
      .name {
        font-weight: 600;
        overflow: hidden;
        text-overflow: ellipsis;
        white-space: nowrap;
      }
      .meta {
        font-size: 12px;
        color: var(--bai-text-muted);
        overflow: hidden;
        text-overflow: ellipsis;
        white-space: nowrap;
      }
      .badge {
        margin-left: var(--bai-space-1);
        padding: 0 6px;
        border-radius: 999px;
        background: var(--bai-accent);
        color: var(--bai-on-accent);
        font-size: 10px;
        font-weight: 700;
        vertical-align: 1px;
      }
      .empty {
        margin: var(--bai-space-2) var(--bai-space-4);
        padding: var(--bai-space-5) var(--bai-space-4);
        border: 1px dashed var(--bai-border);
        border-radius: var(--bai-radius);
        text-align: center;
        background: var(--bai-surface-sunken);
        /* The demo setup panel can make it taller than the column. */
        overflow: auto;
      }
      .empty h3 {
        margin: 0 0 var(--bai-space-1);
        font-size: 14px;
        font-weight: 600;
      }
      .empty p {
        margin: 0 0 var(--bai-space-4);
        color: var(--bai-text-muted);
        font-size: 13px;
      }
      .stack {
        display: grid;
        gap: var(--bai-space-2);
      }
      .notes {
        padding: 0 var(--bai-space-4);
      }
      .warning {
        margin: var(--bai-space-2) 0;
        font-size: 12px;
        color: var(--bai-warning-text);
      }
      footer {
        margin-top: auto;
        padding: var(--bai-space-3) var(--bai-space-4);
        border-top: 1px solid var(--bai-border);
      }
      footer .btn {
        width: 100%;
      }
    `,
  ];

  private async demo() {
    this.error = null;
    this.busy = "demo";
    try {
      profilesChanged(this, await startDemo());
      this.needsJupyter = false;
    } catch (e) {
      const error = toApiError(e);
      // No JupyterLab: the setup panel explains it (and offers to install it), not a banner.
      this.needsJupyter = error.code === DEMO_NEEDS_JUPYTERLAB;
      this.error = this.needsJupyter ? null : error;
    } finally {
      this.busy = "";
    }
  }

  private async importEnv() {
    this.error = null;
    this.busy = "import";
    try {
      profilesChanged(this, await importEnvProfile());
    } catch (e) {
      this.error = toApiError(e);
    } finally {
      this.busy = "";
    }
  }

  private selected(id: string): boolean {
    const v = this.view;
    return (v.kind === "detail" || v.kind === "edit") && v.id === id;
  }

  override render() {
    const profiles = this.data?.profiles ?? [];
    const loaded = this.data !== null;
    return html`
      <div class="heading">
        <h2 id="profiles-heading">Profiles</h2>
        <span class="count" data-testid="profile-count" aria-label="${profiles.length} profiles"
          >${profiles.length}</span
        >
        ${profiles.length
          ? html`<button class="btn btn-secondary small" data-testid="add-profile"
              @click=${() => navigate(this, { kind: "add" })}>Add</button>`
          : nothing}
      </div>
      ${loaded && profiles.length === 0
        ? html`<section class="empty" aria-labelledby="profiles-heading"
            data-testid="profiles-empty">
            <h3>No profiles yet</h3>
            <p>A profile holds a Backend.AI endpoint and your keypair or login.</p>
            <div class="stack">
              <button class="btn btn-primary" data-testid="try-demo" ?disabled=${this.busy !== ""}
                @click=${this.demo}>${this.busy === "demo" ? "Starting the demo…" : "Try the demo"}</button>
              <button class="btn btn-secondary" data-testid="add-first-profile"
                @click=${() => navigate(this, { kind: "add" })}>Add a profile</button>
              <button class="btn btn-secondary" data-testid="import-env"
                ?disabled=${this.busy !== ""} @click=${this.importEnv}
                title="If the Backend.AI command-line client is set up on this computer, use the same account"
                >${this.busy === "import" ? "Importing…" : "Import from the Backend.AI client"}</button>
            </div>
            ${this.needsJupyter
              ? html`<bai-demo-setup @demo-jupyter-ready=${() => void this.demo()}></bai-demo-setup>`
              : nothing}
          </section>`
        : html`<ul aria-labelledby="profiles-heading">
            ${profiles.map(
              (p) => html`<li>
                <button data-testid="profile-item" data-name=${p.name}
                  aria-current=${this.selected(p.id) ? "true" : "false"}
                  @click=${() => navigate(this, { kind: "detail", id: p.id })}>
                  <span class="name">${p.name}${p.isDefault
                    ? html`<span class="badge">default</span>` : nothing}</span>
                  <span class="meta">${p.kind === "api" ? p.accessKey : p.email} · ${p.endpoint}</span>
                </button>
              </li>`,
            )}
          </ul>`}
      <div class="notes">
        <bai-error-banner .error=${this.error ?? this.data?.keyringError ?? null}></bai-error-banner>
        ${(this.data?.warnings ?? []).map((w) => html`<p class="warning" role="status">${w}</p>`)}
      </div>
      <footer>
        <button class="btn btn-secondary" data-testid="open-settings"
          @click=${() => navigate(this, { kind: "settings" })}>Settings</button>
      </footer>
    `;
  }
}

customElements.define("bai-profile-list", ProfileList);

declare global {
  interface HTMLElementTagNameMap {
    "bai-profile-list": ProfileList;
  }
}
