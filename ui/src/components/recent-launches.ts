// A profile's recent launches whose session has ended, each with "Launch again" (the same
// image, resources, folders, environment, name and app, sent again by the core), and "Clear"
// to forget them. Reloaded when the profile's session list changes (an ended session appears
// here as it leaves the running ones).
import { LitElement, css, html, nothing } from "lit";

import {
  ApiError,
  type LaunchHistory,
  type Profile,
  type RecentLaunch,
  type SessionsSnapshot,
  clearLaunchHistory,
  endedLaunches,
  launchAgain,
  launchHistory,
  toApiError,
} from "../api.js";
import { age, shortImage } from "../format.js";
import { buttonStyles } from "../styles/shared.js";
import "./error-banner.js";
import { navigate } from "./events.js";

/** How many ended launches the list shows. */
export const RECENT_SHOWN = 5;

/** "cpu 2 · mem 4g" from a recorded request's slots (as they were asked for). */
export function askedResources(slots: Record<string, string | number>): string {
  return Object.entries(slots)
    .map(([k, v]) => `${k} ${v}`)
    .join(" · ");
}

export class RecentLaunches extends LitElement {
  static override properties = {
    profile: { attribute: false },
    snapshot: { attribute: false },
    history: { state: true },
    error: { state: true },
    busy: { state: true },
  };

  declare profile: Profile | null;
  /** The profile's current session list: a change may mean a session ended. */
  declare snapshot: SessionsSnapshot | null;
  declare history: LaunchHistory | null;
  declare error: ApiError | null;
  declare busy: string | null;

  constructor() {
    super();
    this.profile = null;
    this.snapshot = null;
    this.history = null;
    this.error = null;
    this.busy = null;
  }

  static override styles = [
    buttonStyles,
    css`
      :host {
        display: block;
        margin-top: var(--bai-space-4);
      }
      .head {
        display: flex;
        align-items: center;
        gap: var(--bai-space-3);
        margin-bottom: var(--bai-space-2);
      }
      h3 {
        margin: 0;
        font-size: 14px;
        flex: 1;
      }
      ul {
        list-style: none;
        margin: 0;
        padding: 0;
        font-size: 13px;
      }
      li {
        display: flex;
        align-items: center;
        gap: var(--bai-space-3);
        padding: var(--bai-space-2);
        border-bottom: 1px solid var(--bai-border);
      }
      .what {
        flex: 1;
        min-width: 0;
      }
      .name {
        font-weight: 600;
      }
      .muted {
        color: var(--bai-text-muted);
        font-size: 12px;
      }
      .btn {
        min-height: 28px;
        padding: 0 var(--bai-space-3);
      }
    `,
  ];

  override willUpdate(changed: Map<string, unknown>) {
    const old = changed.get("profile") as Profile | null | undefined;
    if (changed.has("profile") && old?.id !== this.profile?.id) {
      this.history = null;
      this.error = null;
      void this.load();
    } else if (changed.has("snapshot")) {
      void this.load();
    }
  }

  private async load() {
    const id = this.profile?.id;
    if (!id) return;
    try {
      const h = await launchHistory(id);
      if (h.profileId === this.profile?.id) this.history = h;
    } catch {
      // The list is an extra beside the sessions: without a readable history it is not shown
      // (a damaged file comes back as a warning, not as a failure).
      this.history = null;
    }
  }

  private async again(l: RecentLaunch) {
    const p = this.profile;
    if (!p) return;
    this.error = null;
    this.busy = l.sessionName;
    try {
      const launchId = await launchAgain(p.id, l.sessionName);
      navigate(this, { kind: "progress", launchId });
    } catch (e) {
      this.error = toApiError(e);
    } finally {
      this.busy = null;
    }
  }

  private async clear() {
    const p = this.profile;
    if (!p) return;
    this.error = null;
    try {
      await clearLaunchHistory(p.id);
      await this.load();
    } catch (e) {
      this.error = toApiError(e);
    }
  }

  private renderLaunch(l: RecentLaunch) {
    const details = [
      askedResources(l.resources),
      l.mounts.length ? `folders ${l.mounts.join(", ")}` : "",
      l.environ.length ? `env ${l.environ.join(", ")}` : "",
      l.app ?? "",
    ].filter((d) => d);
    return html`<li data-testid="recent-launch" data-name=${l.sessionName}>
      <div class="what">
        <div class="name">${l.sessionName}</div>
        <div class="muted" title=${l.image}>
          ${shortImage(l.image)} · launched ${age(l.launchedAt)} ago
        </div>
        ${details.length ? html`<div class="muted">${details.join(" · ")}</div>` : nothing}
      </div>
      <button class="btn btn-primary" data-testid="launch-again"
        title="Launch this session again with the same image, resources, folders and environment"
        ?disabled=${this.busy !== null} @click=${() => this.again(l)}>Launch again</button>
    </li>`;
  }

  override render() {
    const ended = endedLaunches(this.history).slice(0, RECENT_SHOWN);
    if (!this.profile || (ended.length === 0 && !this.error && !this.history?.warning)) {
      return nothing;
    }
    return html`<div class="head">
        <h3>Recent</h3>
        ${ended.length
          ? html`<button class="btn btn-secondary" data-testid="clear-history"
              title="Forget this profile's recorded launches" @click=${() => this.clear()}>Clear</button>`
          : nothing}
      </div>
      ${this.history?.warning
        ? html`<p class="muted" data-testid="history-warning">${this.history.warning}</p>`
        : nothing}
      <ul data-testid="recent-launches">${ended.map((l) => this.renderLaunch(l))}</ul>
      <bai-error-banner .error=${this.error}></bai-error-banner>`;
  }
}

customElements.define("bai-recent-launches", RecentLaunches);

declare global {
  interface HTMLElementTagNameMap {
    "bai-recent-launches": RecentLaunches;
  }
}
