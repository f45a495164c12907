// One profile: its settings (secret masked), and what can be done with it: test the
// connection, edit, rename, make default, remove (after an inline confirmation).
import { LitElement, css, html, nothing } from "lit";

import {
  ApiError,
  type ConnectionReport,
  type Profile,
  removeProfile,
  renameProfile,
  setDefaultProfile,
  testConnection,
  toApiError,
} from "../api.js";
import { buttonStyles } from "../styles/shared.js";
import { formStyles, panelStyles } from "../styles/forms.js";
import "./error-banner.js";
import "./session-list.js";
import { navigate, profilesChanged } from "./events.js";

export class ProfileDetail extends LitElement {
  static override properties = {
    profile: { attribute: false },
    session: { attribute: false },
    report: { state: true },
    error: { state: true },
    busy: { state: true },
    renaming: { state: true },
    confirmRemove: { state: true },
  };

  declare profile: Profile | null;
  /** The session to select in the list (a `backendai-launcher://open` link names it). */
  declare session: string | null;
  declare report: ConnectionReport | null;
  declare error: ApiError | null;
  declare busy: boolean;
  declare renaming: boolean;
  declare confirmRemove: boolean;

  constructor() {
    super();
    this.profile = null;
    this.session = null;
    this.report = null;
    this.error = null;
    this.busy = false;
    this.renaming = false;
    this.confirmRemove = false;
  }

  static override styles = [
    buttonStyles,
    panelStyles,
    formStyles,
    css`
      dl {
        display: grid;
        grid-template-columns: 140px 1fr;
        gap: var(--bai-space-2) var(--bai-space-3);
        margin: 0;
        font-size: 13px;
      }
      dt {
        color: var(--bai-text-muted);
      }
      dd {
        margin: 0;
        overflow-wrap: anywhere;
      }
      .mono {
        font-family: var(--bai-font-mono);
        font-size: 12px;
      }
      .badge {
        display: inline-block;
        margin-left: var(--bai-space-2);
        padding: 1px var(--bai-space-2);
        border-radius: 999px;
        background: var(--bai-accent-soft);
        color: var(--bai-accent);
        font-size: 11px;
        font-weight: 600;
        vertical-align: middle;
      }
      .warn {
        color: var(--bai-warning-text);
      }
      .result {
        border-color: var(--bai-accent);
      }
      .confirm {
        display: flex;
        flex-wrap: wrap;
        align-items: center;
        gap: var(--bai-space-2);
        margin-top: var(--bai-space-3);
        padding: var(--bai-space-3);
        border-radius: var(--bai-radius-sm);
        background: var(--bai-danger-soft);
      }
      .btn-danger {
        background: var(--bai-danger);
        color: var(--bai-on-accent);
      }
    `,
  ];

  override willUpdate(changed: Map<string, unknown>) {
    const old = changed.get("profile") as Profile | null | undefined;
    if (changed.has("profile") && old?.id !== this.profile?.id) {
      this.report = null;
      this.error = null;
      this.renaming = false;
      this.confirmRemove = false;
    }
  }

  private async run<T>(action: () => Promise<T>): Promise<T | undefined> {
    this.error = null;
    this.busy = true;
    try {
      return await action();
    } catch (e) {
      this.error = toApiError(e);
      return undefined;
    } finally {
      this.busy = false;
    }
  }

  private async test() {
    const p = this.profile;
    if (!p) return;
    this.report = null;
    this.report = (await this.run(() => testConnection(p.id))) ?? null;
  }

  private async rename(ev: Event) {
    ev.preventDefault();
    const p = this.profile;
    const input = this.renderRoot.querySelector<HTMLInputElement>("[name=newName]");
    if (!p || !input) return;
    const renamed = await this.run(() => renameProfile(p.id, input.value));
    if (renamed) {
      this.renaming = false;
      profilesChanged(this, renamed);
    }
  }

  private async makeDefault() {
    const p = this.profile;
    if (!p) return;
    const d = await this.run(() => setDefaultProfile(p.id));
    if (d) profilesChanged(this, d);
  }

  private async removeProfile() {
    const p = this.profile;
    if (!p) return;
    const done = await this.run(async () => {
      await removeProfile(p.id);
      return true;
    });
    if (done) {
      profilesChanged(this);
      navigate(this, { kind: "welcome" });
    }
  }

  override render() {
    const p = this.profile;
    if (!p) return nothing;
    const api = p.kind === "api";
    return html`<div class="panel" data-testid="profile-detail">
      ${this.renaming
        ? html`<form class="inline" @submit=${this.rename} data-testid="rename-form">
            <input type="text" name="newName" .value=${p.name} data-testid="field-new-name"
              aria-label="New name" />
            <button class="btn btn-primary" type="submit" ?disabled=${this.busy}
              data-testid="save-rename">Rename</button>
            <button class="btn btn-secondary" type="button" @click=${() => (this.renaming = false)}
              >Cancel</button>
          </form>`
        : html`<h2 data-testid="detail-name">
            ${p.name}${p.isDefault ? html`<span class="badge">default</span>` : nothing}
          </h2>`}
      <p class="sub">${api ? "Manager API, keypair" : "Web UI server, email and password"}</p>

      <section class="card">
        <dl>
          <dt>Endpoint</dt>
          <dd class="mono" data-testid="detail-endpoint">${p.endpoint}</dd>
          ${api
            ? html`<dt>Access key</dt><dd class="mono">${p.accessKey}</dd>`
            : html`<dt>Email</dt><dd>${p.email}</dd>`}
          <dt>${api ? "Secret key" : "Password"}</dt>
          <dd class="mono" data-testid="detail-secret">
            ${p.hasSecret
              ? p.secretMasked
              : html`<span class="warn">${api || p.rememberPassword ? "not stored" : "not remembered"}</span>`}
          </dd>
          <dt>Domain</dt>
          <dd>${p.domain}</dd>
          ${p.project ? html`<dt>Project</dt><dd>${p.project}</dd>` : nothing}
          ${p.resourceGroup ? html`<dt>Resource group</dt><dd>${p.resourceGroup}</dd>` : nothing}
          ${p.skipTlsVerify
            ? html`<dt>TLS</dt><dd class="warn">certificate checks are OFF for this profile</dd>`
            : nothing}
        </dl>
        <div class="actions">
          <button class="btn btn-primary" data-testid="test-connection" ?disabled=${this.busy}
            @click=${this.test}>${this.busy ? "Working…" : "Test connection"}</button>
          <button class="btn btn-secondary" data-testid="edit-profile"
            @click=${() => navigate(this, { kind: "edit", id: p.id })}>Edit</button>
          <button class="btn btn-secondary" data-testid="rename-profile"
            @click=${() => (this.renaming = true)}>Rename</button>
          ${p.isDefault
            ? nothing
            : html`<button class="btn btn-secondary" data-testid="set-default"
                ?disabled=${this.busy} @click=${this.makeDefault}>Make default</button>`}
          <button class="btn btn-secondary" data-testid="remove-profile"
            @click=${() => (this.confirmRemove = true)}>Remove</button>
        </div>
        ${this.confirmRemove
          ? html`<div class="confirm" role="alertdialog" aria-label="Confirm removal">
              <span>Remove <strong>${p.name}</strong> and its stored secrets?</span>
              <button class="btn btn-danger" data-testid="confirm-remove" ?disabled=${this.busy}
                @click=${this.removeProfile}>Remove</button>
              <button class="btn btn-secondary" @click=${() => (this.confirmRemove = false)}
                >Keep it</button>
            </div>`
          : nothing}
        <bai-error-banner .error=${this.error}></bai-error-banner>
      </section>

      <section class="card">
        <bai-session-list .profile=${p} .selected=${this.session}></bai-session-list>
      </section>

      ${this.report
        ? html`<section class="card result" data-testid="test-result">
            <h3>Connected</h3>
            <dl>
              <dt>Server version</dt>
              <dd data-testid="server-version">${this.report.serverVersion ?? "not reported"}</dd>
              <dt>API version</dt>
              <dd class="mono" data-testid="api-version">
                ${this.report.apiVersion} (using ${this.report.negotiatedVersion})
              </dd>
              <dt>Signed in as</dt>
              <dd data-testid="user-email">${this.report.email}</dd>
              <dt>Role</dt>
              <dd data-testid="user-role">${this.report.role ?? "unknown"}</dd>
            </dl>
          </section>`
        : nothing}
    </div>`;
  }
}

customElements.define("bai-profile-detail", ProfileDetail);

declare global {
  interface HTMLElementTagNameMap {
    "bai-profile-detail": ProfileDetail;
  }
}
