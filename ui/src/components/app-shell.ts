// The window's layout: header on top, profiles on the left, the current view on the right. The
// shell owns what the UI knows (app info, the profile list, the current view); children send
// `navigate` and `profiles-changed` events up and get data down.
import { LitElement, css, html, nothing } from "lit";

import {
  type AppInfo,
  ApiError,
  type Profile,
  type ProfileList,
  appInfo,
  launchPreset,
  listProfiles,
  quickStart,
  toApiError,
  uiReady,
} from "../api.js";
import { type DeepLinkMessage, onDeepLink, onLaunchStarted, onProfilesChanged } from "../live.js";
import { buttonStyles } from "../styles/shared.js";
import "./app-header.js";
import "./error-banner.js";
import type { View } from "./events.js";
import "./launch-form.js";
import "./launch-progress.js";
import "./profile-detail.js";
import "./profile-form.js";
import "./profile-list.js";
import "./settings-panel.js";
import "./welcome-panel.js";

export class AppShell extends LitElement {
  static override properties = {
    info: { state: true },
    error: { state: true },
    profiles: { state: true },
    view: { state: true },
    linkLaunch: { state: true },
  };

  declare info: AppInfo | null;
  declare error: ApiError | null;
  declare profiles: ProfileList | null;
  declare view: View;
  /** A `launch` link waiting for the user's Start or Cancel. */
  declare linkLaunch: { profileId: string; profileName: string; preset: string } | null;

  /** Settles once the first app_info and list_profiles calls have been handled; tests await it. */
  ready: Promise<void> = Promise.resolve();

  constructor() {
    super();
    this.info = null;
    this.error = null;
    this.profiles = null;
    this.view = { kind: "welcome" };
    this.linkLaunch = null;
    this.addEventListener("navigate", (e) => {
      this.view = (e as CustomEvent<View>).detail;
    });
    this.addEventListener("quick-start", () => void this.quickStart());
    this.addEventListener("profiles-changed", (e) => {
      const select = (e as CustomEvent<Profile | undefined>).detail;
      void this.loadProfiles().then(() => {
        if (select) this.view = { kind: "detail", id: select.id };
      });
    });
  }

  static override styles = [
    buttonStyles,
    css`
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
      padding: 0 var(--bai-space-5);
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
    .link-launch {
      margin: var(--bai-space-3) 0;
      padding: var(--bai-space-3) var(--bai-space-4);
      border: 1px solid var(--bai-accent);
      border-radius: var(--bai-radius-sm);
      background: var(--bai-surface);
      font-size: 13px;
    }
    .link-launch p {
      margin: 0 0 var(--bai-space-2);
    }
  `,
  ];

  override connectedCallback() {
    super.connectedCallback();
    // A link opened while the window loads waits in the shell until `uiReady` says this
    // listens, so it must listen before that.
    const deepLinks = onDeepLink((m) => void this.deepLink(m));
    this.ready = Promise.all([this.loadInfo(), this.loadProfiles(), deepLinks]).then(async () => {
      await this.updateComplete;
      // For the startup benchmark; a failure here changes nothing for the user.
      await uiReady().catch(() => undefined);
    });
    // A launch started anywhere (the tray too) shows its progress here.
    void onLaunchStarted((v) => {
      this.view = { kind: "progress", launchId: v.launchId };
    });
    // The tray changed the default profile.
    void onProfilesChanged(() => void this.loadProfiles());
  }

  /** A `backendai-launcher:` link: select its session, follow its launch, or say why not. */
  private async deepLink(m: DeepLinkMessage): Promise<void> {
    switch (m.kind) {
      case "open":
        this.error = null;
        // The profile may be new to this window (added by `bai` meanwhile).
        if (!this.find(m.profileId)) await this.loadProfiles();
        this.view = { kind: "detail", id: m.profileId, session: m.session };
        break;
      case "confirm-launch":
        this.error = null;
        this.linkLaunch = { profileId: m.profileId, profileName: m.profileName, preset: m.preset };
        break;
      case "refused":
        this.error = new ApiError(m.error.code, m.error.message);
        break;
    }
  }

  /** Start what a `launch` link asked for, now that the user said so. */
  private async startLinkLaunch(): Promise<void> {
    const l = this.linkLaunch;
    if (!l) return;
    this.linkLaunch = null;
    this.error = null;
    try {
      const launchId = await launchPreset(l.profileId, l.preset);
      this.view = { kind: "progress", launchId };
    } catch (e) {
      this.error = toApiError(e);
    }
  }

  private renderLinkLaunch() {
    const l = this.linkLaunch;
    if (!l) return nothing;
    return html`<div class="link-launch" role="alertdialog" data-testid="link-launch"
      aria-label="Start a notebook from a link">
      <p>A link asks to start a notebook on <strong>${l.profileName}</strong> with the cluster
        preset <strong>${l.preset}</strong>. It uses your resources until you end it.</p>
      <button class="btn btn-primary" data-testid="link-launch-start"
        @click=${() => void this.startLinkLaunch()}>Start</button>
      <button class="btn btn-secondary" data-testid="link-launch-cancel"
        @click=${() => (this.linkLaunch = null)}>Cancel</button>
    </div>`;
  }

  private async quickStart(): Promise<void> {
    this.error = null;
    try {
      const r = await quickStart();
      if (r.launchId) this.view = { kind: "progress", launchId: r.launchId };
    } catch (e) {
      this.error = toApiError(e);
    }
  }

  private async loadInfo(): Promise<void> {
    try {
      this.info = await appInfo();
    } catch (e) {
      this.error = toApiError(e);
    }
  }

  private async loadProfiles(): Promise<void> {
    try {
      this.profiles = await listProfiles();
    } catch (e) {
      this.error = toApiError(e);
      // Keep the layout usable: an empty list with the error above it.
      this.profiles ??= { profiles: [], defaultId: null, warnings: [], keyringError: null };
    }
  }

  private find(id: string): Profile | null {
    return this.profiles?.profiles.find((p) => p.id === id) ?? null;
  }

  private renderMain() {
    const v = this.view;
    switch (v.kind) {
      case "add":
        return html`<bai-profile-form .profile=${null}></bai-profile-form>`;
      case "edit": {
        const p = this.find(v.id);
        return p
          ? html`<bai-profile-form .profile=${p}></bai-profile-form>`
          : html`<bai-welcome-panel></bai-welcome-panel>`;
      }
      case "detail": {
        const p = this.find(v.id);
        return p
          ? html`<bai-profile-detail .profile=${p} .session=${v.session ?? null}></bai-profile-detail>`
          : html`<bai-welcome-panel></bai-welcome-panel>`;
      }
      case "launch": {
        const p = this.find(v.id);
        return p
          ? html`<bai-launch-form .profile=${p}></bai-launch-form>`
          : html`<bai-welcome-panel></bai-welcome-panel>`;
      }
      case "progress":
        return html`<bai-launch-progress .launchId=${v.launchId}></bai-launch-progress>`;
      case "settings":
        return html`<bai-settings-panel .profiles=${this.profiles?.profiles ?? []}>
        </bai-settings-panel>`;
      default:
        return html`<bai-welcome-panel></bai-welcome-panel>`;
    }
  }

  override render() {
    return html`
      <bai-app-header .info=${this.info}
        .canQuickStart=${!!this.profiles?.defaultId}></bai-app-header>
      <div class="banner">
        ${this.error ? html`<bai-error-banner .error=${this.error}></bai-error-banner>` : nothing}
        ${this.renderLinkLaunch()}
      </div>
      <bai-profile-list .data=${this.profiles} .view=${this.view}></bai-profile-list>
      <main>${this.renderMain()}</main>
    `;
  }
}

customElements.define("bai-app-shell", AppShell);

declare global {
  interface HTMLElementTagNameMap {
    "bai-app-shell": AppShell;
  }
}
