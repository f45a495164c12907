// A launch as it happens: the steps, the session's status, elapsed time and Cancel; at the end
// either "open in its window" or what went wrong and what to do. Fed by `launch-progress`.
import { LitElement, css, html, nothing } from "lit";

import {
  ApiError,
  type LaunchPhase,
  type LaunchView,
  cancelLaunch,
  launchStatus,
  toApiError,
} from "../api.js";
import { duration, phaseLabel } from "../format.js";
import { type Unsubscribe, onLaunchProgress } from "../live.js";
import { buttonStyles } from "../styles/shared.js";
import { panelStyles } from "../styles/forms.js";
import "./error-banner.js";
import { navigate } from "./events.js";

const STEPS: { phase: LaunchPhase; label: string }[] = (
  ["creating", "starting", "picking_app", "opening_tunnel", "probing", "ready"] as LaunchPhase[]
).map((phase) => ({ phase, label: phaseLabel(phase) }));

const FINAL: LaunchPhase[] = ["ready", "cancelled", "failed"];

export class LaunchProgressView extends LitElement {
  static override properties = {
    launchId: { attribute: false },
    view: { state: true },
    history: { state: true },
    error: { state: true },
    now: { state: true },
  };

  declare launchId: string;
  declare view: LaunchView | null;
  /** Each distinct phase/status seen, in order. */
  declare history: string[];
  declare error: ApiError | null;
  declare now: number;

  private receivedAt = Date.now();
  private unsubscribe: Unsubscribe | null = null;
  private clock: ReturnType<typeof setInterval> | null = null;

  constructor() {
    super();
    this.launchId = "";
    this.view = null;
    this.history = [];
    this.error = null;
    this.now = Date.now();
  }

  static override styles = [
    buttonStyles,
    panelStyles,
    css`
      ol {
        list-style: none;
        padding: 0;
        margin: 0 0 var(--bai-space-4);
        display: grid;
        gap: var(--bai-space-2);
        font-size: 14px;
      }
      li {
        display: flex;
        gap: var(--bai-space-2);
        align-items: center;
        color: var(--bai-text-muted);
      }
      li.done {
        color: var(--bai-text);
      }
      li.current {
        color: var(--bai-accent);
        font-weight: 600;
      }
      .dot {
        width: 10px;
        height: 10px;
        border-radius: 50%;
        border: 2px solid currentColor;
      }
      li.done .dot {
        background: currentColor;
      }
      dl {
        display: grid;
        grid-template-columns: 120px 1fr;
        gap: var(--bai-space-2) var(--bai-space-3);
        margin: 0;
        font-size: 13px;
      }
      dt {
        color: var(--bai-text-muted);
      }
      dd {
        margin: 0;
      }
      .mono {
        font-family: var(--bai-font-mono);
        font-size: 12px;
      }
      .ready {
        color: #05603a;
        font-weight: 600;
      }
      .history {
        font-size: 12px;
        color: var(--bai-text-muted);
      }
    `,
  ];

  override connectedCallback() {
    super.connectedCallback();
    void onLaunchProgress((v) => {
      if (v.launchId === this.launchId) this.take(v);
    }).then((u) => {
      if (this.isConnected) this.unsubscribe = u;
      else u();
    });
    this.clock = setInterval(() => (this.now = Date.now()), 1000);
  }

  override disconnectedCallback() {
    super.disconnectedCallback();
    this.unsubscribe?.();
    if (this.clock) clearInterval(this.clock);
  }

  override willUpdate(changed: Map<string, unknown>) {
    if (changed.has("launchId") && this.launchId) {
      this.view = null;
      this.history = [];
      void launchStatus(this.launchId)
        .then((v) => {
          // An event may have brought a newer step already.
          if (!this.view || this.view.elapsedMs <= v.elapsedMs) this.take(v);
        })
        .catch((e) => (this.error = toApiError(e)));
    }
  }

  private take(v: LaunchView) {
    this.view = v;
    this.receivedAt = Date.now();
    const label = phaseLabel(v.phase);
    const step = v.status ? `${label} (${v.status})` : label;
    if (this.history[this.history.length - 1] !== step) this.history = [...this.history, step];
  }

  private async cancel() {
    try {
      await cancelLaunch(this.launchId);
    } catch (e) {
      this.error = toApiError(e);
    }
  }

  private stepClass(phase: LaunchPhase): string {
    const v = this.view;
    if (!v) return "";
    const at = STEPS.findIndex((s) => s.phase === v.phase);
    const i = STEPS.findIndex((s) => s.phase === phase);
    if (v.phase === "ready" || (at >= 0 && i < at)) return "done";
    if (i === at) return "current";
    return "";
  }

  override render() {
    const v = this.view;
    const final = v ? FINAL.includes(v.phase) : false;
    const elapsed = v ? v.elapsedMs + (final ? 0 : this.now - this.receivedAt) : 0;
    return html`<div class="panel" data-testid="launch-progress" data-phase=${v?.phase ?? ""}>
      <h2>${v?.sessionName ? `Launching ${v.sessionName}` : "Launching a session"}</h2>
      <p class="sub">${v ? `on ${v.profileName}` : ""}</p>
      <section class="card">
        <ol>
          ${STEPS.map(
            (s) => html`<li class=${this.stepClass(s.phase)}><span class="dot"></span>${s.label}</li>`,
          )}
        </ol>
        <dl>
          <dt>Step</dt>
          <dd data-testid="launch-phase">${v ? phaseLabel(v.phase) : "…"}</dd>
          <dt>Session status</dt>
          <dd data-testid="launch-status" class="mono">
            ${v?.status ?? "—"}${v?.statusInfo ? ` (${v.statusInfo})` : ""}
          </dd>
          <dt>Elapsed</dt>
          <dd data-testid="launch-elapsed">${duration(elapsed)}</dd>
          <dt>Now</dt>
          <dd data-testid="launch-message">${v?.message ?? ""}</dd>
        </dl>
        <p class="history" data-testid="launch-history">${this.history.join(" → ")}</p>
        ${v?.phase === "ready"
          ? html`<p class="ready" data-testid="launch-ready">
              ${v.app ?? "The app"} is open in its own window.
            </p>`
          : nothing}
        <bai-error-banner .error=${v?.error ?? this.error}></bai-error-banner>
        <div class="actions">
          ${!final
            ? html`<button class="btn btn-secondary" data-testid="launch-cancel"
                ?disabled=${v?.phase === "cancelling"} @click=${this.cancel}>Cancel</button>`
            : html`<button class="btn btn-primary" data-testid="launch-back"
                @click=${() => v && navigate(this, { kind: "detail", id: v.profileId })}>
                Back to ${v?.profileName ?? "the profile"}</button>`}
        </div>
      </section>
    </div>`;
  }
}

customElements.define("bai-launch-progress", LaunchProgressView);

declare global {
  interface HTMLElementTagNameMap {
    "bai-launch-progress": LaunchProgressView;
  }
}
