// Idle and spend warnings for the shown profile, with what can be done about them: "Keep
// alive" where traffic resets the checker, "Terminate" or "Keep" for an accelerated session
// sitting idle. The desktop notification says the same; this is where its actions are.
import { LitElement, css, html, nothing } from "lit";

import {
  ApiError,
  type IdleNotice,
  type Profile,
  type SessionsSnapshot,
  keepAlive,
  keepIdleSession,
  terminateSession,
  toApiError,
} from "../api.js";
import { type Unsubscribe, onIdleNotice } from "../live.js";
import { buttonStyles } from "../styles/shared.js";
import "./error-banner.js";

/** Warnings kept on screen at once (the newest). */
const SHOWN = 3;

export class IdleNotices extends LitElement {
  static override properties = {
    profile: { attribute: false },
    snapshot: { attribute: false },
    notices: { state: true },
    error: { state: true },
    busy: { state: true },
  };

  declare profile: Profile | null;
  declare snapshot: SessionsSnapshot | null;
  declare notices: IdleNotice[];
  declare error: ApiError | null;
  declare busy: boolean;

  private unsubscribe: Unsubscribe | null = null;

  constructor() {
    super();
    this.profile = null;
    this.snapshot = null;
    this.notices = [];
    this.error = null;
    this.busy = false;
  }

  static override styles = [
    buttonStyles,
    css`
      .notice {
        border: 1px solid #f5c26b;
        background: #fffaeb;
        color: #7a2e0e;
        border-radius: var(--bai-radius-sm);
        padding: var(--bai-space-2) var(--bai-space-3);
        margin-bottom: var(--bai-space-2);
        font-size: 13px;
      }
      .title {
        font-weight: 650;
      }
      .actions {
        display: flex;
        gap: var(--bai-space-2);
        margin-top: var(--bai-space-2);
      }
      .btn {
        min-height: 26px;
        padding: 0 var(--bai-space-3);
      }
      .btn-danger {
        background: var(--bai-danger);
        color: var(--bai-on-accent);
      }
    `,
  ];

  override connectedCallback() {
    super.connectedCallback();
    void onIdleNotice((n) => this.take(n)).then((u) => {
      if (this.isConnected) this.unsubscribe = u;
      else u();
    });
  }

  override disconnectedCallback() {
    super.disconnectedCallback();
    this.unsubscribe?.();
    this.unsubscribe = null;
  }

  /** A new warning replaces an older one of the same kind about the same session. */
  take(n: IdleNotice) {
    const same = (o: IdleNotice) => o.kind === n.kind && o.session?.sessionId === n.session?.sessionId;
    this.notices = [n, ...this.notices.filter((o) => !same(o))].slice(0, SHOWN);
  }

  private dismiss(n: IdleNotice) {
    this.notices = this.notices.filter((o) => o !== n);
  }

  /** Only warnings about sessions still listed for this profile are shown. */
  private shown(): IdleNotice[] {
    const p = this.profile;
    const listed = new Set(this.snapshot?.sessions.map((s) => s.id) ?? []);
    return this.notices.filter((n) => n.session && n.session.profileId === p?.id && listed.has(n.session.sessionId));
  }

  /** Keep alive helps only when the checker due first is one that traffic resets (a lifetime
   * ending sooner would end the session anyway). */
  private canKeepAlive(n: IdleNotice): boolean {
    const s = this.snapshot?.sessions.find((x) => x.id === n.session?.sessionId);
    const first = s?.idle.find((c) => c.kind === "expire_after" && c.remainingSecs !== null);
    return first?.resetBy === "traffic";
  }

  private async act(n: IdleNotice, action: (profileId: string, sessionId: string) => Promise<void>) {
    if (!n.session) return;
    this.error = null;
    this.busy = true;
    try {
      await action(n.session.profileId, n.session.sessionId);
      this.dismiss(n);
    } catch (e) {
      this.error = toApiError(e);
    } finally {
      this.busy = false;
    }
  }

  private renderNotice(n: IdleNotice) {
    const spend = n.kind === "idle-spend";
    return html`<div class="notice" role="alert" data-testid="idle-notice" data-kind=${n.kind}
      data-session=${n.session?.sessionName ?? ""}>
      <div class="title">${n.title}</div>
      <div>${n.body}</div>
      <div class="actions">
        ${spend
          ? html`<button class="btn btn-danger" data-testid="idle-terminate" ?disabled=${this.busy}
                @click=${() => void this.act(n, terminateSession)}>Terminate</button>
              <button class="btn btn-secondary" data-testid="idle-keep" ?disabled=${this.busy}
                @click=${() => void this.act(n, keepIdleSession)}>Keep</button>`
          : this.canKeepAlive(n)
            ? html`<button class="btn btn-primary" data-testid="idle-keep-alive" ?disabled=${this.busy}
                @click=${() => void this.act(n, keepAlive)}>Keep alive</button>`
            : nothing}
        <button class="btn btn-secondary" @click=${() => this.dismiss(n)}>Dismiss</button>
      </div>
    </div>`;
  }

  override render() {
    const shown = this.shown();
    if (shown.length === 0 && !this.error) return nothing;
    return html`${shown.map((n) => this.renderNotice(n))}
      <bai-error-banner .error=${this.error}></bai-error-banner>`;
  }
}

customElements.define("bai-idle-notices", IdleNotices);

declare global {
  interface HTMLElementTagNameMap {
    "bai-idle-notices": IdleNotices;
  }
}
