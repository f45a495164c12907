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
  listProfiles,
  quickStart,
  toApiError,
  uiReady,
} from "../api.js";
import { onLaunchStarted, onProfilesChanged } from "../live.js";
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
  };

  declare info: AppInfo | null;
  declare error: ApiError | null;
  declare profiles: ProfileList | null;
  declare view: View;

  /** Settles once the first app_info and list_profiles calls have been handled; tests await it. */
  ready: Promise<void> = Promise.resolve();

  constructor() {
    super();
    this.info = null;
    this.error = null;
    this.profiles = null;
    this.view = { kind: "welcome" };
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
  `;

  override connectedCallback() {
    super.connectedCallback();
    this.ready = Promise.all([this.loadInfo(), this.loadProfiles()]).then(async () => {
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
          ? html`<bai-profile-detail .profile=${p}></bai-profile-detail>`
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
      ${this.error
        ? html`<bai-error-banner class="banner" .error=${this.error}></bai-error-banner>`
        : nothing}
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
