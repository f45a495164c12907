// A profile's sessions, kept current by `sessions-changed` events from the shell's watcher:
// open a session's notebook, terminate one (after an inline confirmation), start a new one.
import { LitElement, css, html, nothing } from "lit";

import {
  ApiError,
  type Profile,
  type Session,
  type SessionsSnapshot,
  isUnreachable,
  keepAlive,
  openInVsCode,
  openSession,
  terminateSession,
  toApiError,
  watchSessions,
} from "../api.js";
import { age, idleLine, resources, shortImage, statusBadge } from "../format.js";
import { type Unsubscribe, onSessionsChanged } from "../live.js";
import { buttonStyles } from "../styles/shared.js";
import "./error-banner.js";
import { navigate } from "./events.js";
import "./idle-notices.js";
import "./recent-launches.js";

export class SessionList extends LitElement {
  static override properties = {
    profile: { attribute: false },
    selected: { attribute: false },
    snapshot: { state: true },
    error: { state: true },
    confirm: { state: true },
    busy: { state: true },
    now: { state: true },
  };

  declare profile: Profile | null;
  /** A session name to highlight and scroll to (a `backendai-launcher://open` link's). */
  declare selected: string | null;
  declare snapshot: SessionsSnapshot | null;
  declare error: ApiError | null;
  /** The session awaiting "Terminate?" confirmation. */
  declare confirm: string | null;
  declare busy: string | null;
  /** Re-renders ages; the data itself only changes through events. */
  declare now: number;

  private unsubscribe: Unsubscribe | null = null;
  private clock: ReturnType<typeof setInterval> | null = null;

  constructor() {
    super();
    this.profile = null;
    this.selected = null;
    this.snapshot = null;
    this.error = null;
    this.confirm = null;
    this.busy = null;
    this.now = Date.now();
  }

  static override styles = [
    buttonStyles,
    css`
      :host {
        display: block;
      }
      .head {
        display: flex;
        align-items: center;
        gap: var(--bai-space-3);
        margin-bottom: var(--bai-space-3);
      }
      h3 {
        margin: 0;
        font-size: 14px;
        flex: 1;
      }
      table {
        width: 100%;
        border-collapse: collapse;
        font-size: 13px;
      }
      th {
        text-align: left;
        font-weight: 600;
        color: var(--bai-text-muted);
        font-size: 12px;
        padding: var(--bai-space-1) var(--bai-space-2);
        border-bottom: 1px solid var(--bai-border);
      }
      td {
        padding: var(--bai-space-2);
        border-bottom: 1px solid var(--bai-border);
        vertical-align: middle;
      }
      .name {
        font-weight: 600;
      }
      tr.selected td {
        background: color-mix(in srgb, var(--bai-accent) 12%, transparent);
      }
      tr.selected td:first-child {
        box-shadow: inset 3px 0 0 var(--bai-accent);
      }
      .mono {
        font-family: var(--bai-font-mono);
        font-size: 12px;
      }
      .muted {
        color: var(--bai-text-muted);
      }
      .status {
        display: inline-block;
        padding: 1px var(--bai-space-2);
        border-radius: 999px;
        font-size: 11px;
        font-weight: 650;
        background: var(--bai-surface-sunken);
      }
      .status.phase-running {
        background: #d1fadf;
        color: #05603a;
      }
      .status.degraded {
        background: #fef0c7;
        color: #93370d;
      }
      .status.phase-ended {
        background: var(--bai-danger-soft);
        color: var(--bai-danger);
      }
      .status.phase-unknown {
        border: 1px dashed var(--bai-text-muted);
      }
      .actions {
        display: flex;
        gap: var(--bai-space-2);
        justify-content: flex-end;
        flex-wrap: wrap;
      }
      .btn {
        min-height: 28px;
        padding: 0 var(--bai-space-3);
      }
      .btn-danger {
        background: var(--bai-danger);
        color: var(--bai-on-accent);
      }
      .empty,
      .unreachable {
        padding: var(--bai-space-4);
        border-radius: var(--bai-radius-sm);
        background: var(--bai-surface-sunken);
        color: var(--bai-text-muted);
        font-size: 13px;
      }
      .unreachable strong {
        color: var(--bai-danger);
      }
      .confirm {
        font-size: 12px;
      }
      .idle {
        font-size: 12px;
        color: #93370d;
      }
    `,
  ];

  override connectedCallback() {
    super.connectedCallback();
    void onSessionsChanged((s) => {
      if (s.profileId === this.profile?.id) this.snapshot = s;
    }).then((u) => {
      if (this.isConnected) this.unsubscribe = u;
      else u();
    });
    this.clock = setInterval(() => (this.now = Date.now()), 15_000);
  }

  override disconnectedCallback() {
    super.disconnectedCallback();
    this.unsubscribe?.();
    this.unsubscribe = null;
    if (this.clock) clearInterval(this.clock);
  }

  override willUpdate(changed: Map<string, unknown>) {
    const old = changed.get("profile") as Profile | null | undefined;
    if (changed.has("profile") && old?.id !== this.profile?.id) {
      this.snapshot = null;
      this.confirm = null;
      this.error = null;
      void this.watch();
    }
  }

  /** The selection scrolled into view last (each selection is scrolled to once). */
  private scrolledTo: string | null = null;

  override updated(changed: Map<string, unknown>) {
    if (changed.has("selected")) this.scrolledTo = null;
    if (!this.selected || this.scrolledTo === this.selected) return;
    const row = this.renderRoot.querySelector("tr[data-selected]");
    if (row) {
      this.scrolledTo = this.selected;
      row.scrollIntoView({ block: "center", behavior: "smooth" });
    }
  }

  private async watch() {
    const id = this.profile?.id ?? null;
    try {
      const s = await watchSessions(id);
      if (s && s.profileId === this.profile?.id) this.snapshot = s;
    } catch (e) {
      this.error = toApiError(e);
    }
  }

  private async act(session: Session, action: () => Promise<unknown>) {
    this.error = null;
    this.busy = session.id;
    try {
      await action();
    } catch (e) {
      this.error = toApiError(e);
    } finally {
      this.busy = null;
    }
  }

  private open(s: Session) {
    const p = this.profile;
    if (!p) return;
    void this.act(s, async () => {
      const launchId = await openSession(p.id, s.id);
      if (launchId) navigate(this, { kind: "progress", launchId });
    });
  }

  private vscode(s: Session) {
    const p = this.profile;
    if (!p) return;
    void this.act(s, () => openInVsCode(p.id, s.id));
  }

  private keepAlive(s: Session) {
    const p = this.profile;
    if (!p) return;
    void this.act(s, () => keepAlive(p.id, s.id));
  }

  private terminate(s: Session) {
    const p = this.profile;
    if (!p) return;
    this.confirm = null;
    void this.act(s, () => terminateSession(p.id, s.id));
  }

  private renderRow(s: Session) {
    const canOpen = s.phase === "running" && s.apps.some((a) => a === "jupyterlab" || a === "jupyter");
    const badge = statusBadge(s);
    const selected = this.selected === s.name;
    const idle = s.phase === "running" ? idleLine(s.idle) : null;
    const canKeepAlive = s.phase === "running" && s.idle.some((c) => c.resetBy === "traffic");
    return html`<tr data-testid="session-row" data-name=${s.name} class=${selected ? "selected" : ""}
      aria-selected=${selected ? "true" : "false"} ?data-selected=${selected}>
      <td>
        <div class="name">${s.name}</div>
        ${s.open ? html`<div class="muted">open in a window</div>` : nothing}
      </td>
      <td class="mono" title=${s.image ?? ""}>${shortImage(s.image)}</td>
      <td>
        <span class=${badge.cls} title=${badge.title} data-testid="session-status"
          data-phase=${s.phase}>${badge.text}</span>
        ${s.statusInfo ? html`<div class="muted">${s.statusInfo}</div>` : nothing}
        ${idle ? html`<div class="idle" data-testid="session-idle" title=${idle.title}>${idle.text}</div>` : nothing}
      </td>
      <td data-testid="session-age">${age(s.createdAt, this.now)}</td>
      <td class="mono">${resources(s.resources)}</td>
      <td>
        ${this.confirm === s.id
          ? html`<div class="actions confirm" role="alertdialog" aria-label="Confirm termination">
              <span>Terminate <strong>${s.name}</strong>? Unsaved work is lost.</span>
              <button class="btn btn-danger" data-testid="confirm-terminate"
                @click=${() => this.terminate(s)}>Terminate</button>
              <button class="btn btn-secondary" @click=${() => (this.confirm = null)}>Keep</button>
            </div>`
          : html`<div class="actions">
              ${canOpen
                ? html`<button class="btn btn-primary" data-testid="open-session"
                    ?disabled=${this.busy === s.id} @click=${() => this.open(s)}>Open</button>`
                : nothing}
              ${s.phase === "running" && s.ssh
                ? html`<button class="btn btn-secondary" data-testid="open-vscode"
                    title="Open this session's files and terminal in VS Code"
                    ?disabled=${this.busy === s.id} @click=${() => this.vscode(s)}>VS Code</button>`
                : nothing}
              ${canKeepAlive
                ? html`<button class="btn btn-secondary" data-testid="keep-alive"
                    title="Send app traffic through the session, which resets its idle timer"
                    ?disabled=${this.busy === s.id} @click=${() => this.keepAlive(s)}>Keep alive</button>`
                : nothing}
              <button class="btn btn-secondary" data-testid="terminate-session"
                ?disabled=${this.busy === s.id || s.status === "TERMINATING"}
                @click=${() => (this.confirm = s.id)}>Terminate</button>
            </div>`}
      </td>
    </tr>`;
  }

  private renderBody() {
    const snap = this.snapshot;
    if (!snap) return html`<p class="empty" data-testid="sessions-loading">Loading sessions…</p>`;
    if (snap.error) {
      const unreachable = isUnreachable(snap.error.code);
      return html`<div class="unreachable" data-testid="sessions-error">
        <p>
          <strong>${unreachable ? "The cluster is unreachable." : "The sessions cannot be listed."}</strong>
          The list refreshes by itself when the cluster answers again.
        </p>
        <bai-error-banner .error=${snap.error}></bai-error-banner>
      </div>`;
    }
    if (snap.sessions.length === 0) {
      return html`<p class="empty" data-testid="sessions-empty">
        No sessions. Start one with “New session” or “Quick start”.
      </p>`;
    }
    return html`<table data-testid="session-table">
      <thead>
        <tr><th>Name</th><th>Image</th><th>Status</th><th>Age</th><th>Resources</th><th></th></tr>
      </thead>
      <tbody>${snap.sessions.map((s) => this.renderRow(s))}</tbody>
    </table>`;
  }

  /** The selected session is not in the (loaded) list: say so rather than select nothing. */
  private renderMissing() {
    const snap = this.snapshot;
    const name = this.selected;
    if (!name || !snap || snap.error || snap.sessions.some((s) => s.name === name)) return nothing;
    return html`<p class="empty" data-testid="selected-missing">
      The link names the session “${name}”, which this profile's list does not show: it may have
      ended, or belong to another account.
    </p>`;
  }

  override render() {
    const p = this.profile;
    if (!p) return nothing;
    return html`<div class="head">
        <h3>Sessions</h3>
        <button class="btn btn-secondary" data-testid="new-session"
          @click=${() => navigate(this, { kind: "launch", id: p.id })}>New session…</button>
      </div>
      ${this.renderMissing()}
      <bai-idle-notices .profile=${p} .snapshot=${this.snapshot}></bai-idle-notices>
      ${this.renderBody()}
      <bai-error-banner .error=${this.error}></bai-error-banner>
      <bai-recent-launches .profile=${p} .snapshot=${this.snapshot}></bai-recent-launches>`;
  }
}

customElements.define("bai-session-list", SessionList);

declare global {
  interface HTMLElementTagNameMap {
    "bai-session-list": SessionList;
  }
}
