// Settings: the default profile and its quick-start preset, what closing a notebook window
// does, start at login (off unless turned on here), and when to warn about idle sessions.
import { LitElement, css, html, nothing } from "lit";

import {
  ApiError,
  type LaunchPreset,
  type NotebookClose,
  type Profile,
  type Settings,
  getSettings,
  saveSettings,
  toApiError,
} from "../api.js";
import { buttonStyles } from "../styles/shared.js";
import { formStyles, panelStyles } from "../styles/forms.js";
import "./error-banner.js";
import { profilesChanged } from "./events.js";

const CLOSE_CHOICES: { value: NotebookClose; label: string }[] = [
  { value: "ask", label: "Ask each time" },
  { value: "keep-running", label: "Keep the session running" },
  { value: "terminate", label: "Terminate the session" },
];

export class SettingsPanel extends LitElement {
  static override properties = {
    profiles: { attribute: false },
    settings: { state: true },
    error: { state: true },
    busy: { state: true },
    saved: { state: true },
  };

  declare profiles: Profile[];
  declare settings: Settings | null;
  declare error: ApiError | null;
  declare busy: boolean;
  declare saved: boolean;

  /** Settles once the settings have been loaded; tests await it. */
  ready: Promise<void> = Promise.resolve();

  constructor() {
    super();
    this.profiles = [];
    this.settings = null;
    this.error = null;
    this.busy = false;
    this.saved = false;
  }

  static override styles = [
    buttonStyles,
    panelStyles,
    formStyles,
    css`
      input.minutes {
        width: 8em;
      }
    `,
  ];

  override connectedCallback() {
    super.connectedCallback();
    this.ready = this.load();
  }

  private async load() {
    try {
      this.settings = await getSettings();
    } catch (e) {
      this.error = toApiError(e);
    }
  }

  private value(name: string): string {
    return this.renderRoot.querySelector<HTMLInputElement>(`[name="${name}"]`)?.value.trim() ?? "";
  }

  private async save(ev: Event) {
    ev.preventDefault();
    const root = this.renderRoot;
    const defaultProfileId = this.value("defaultProfile") || null;
    const resources: Record<string, string> = {};
    for (const slot of ["cpu", "mem"]) {
      const v = this.value(`qs-${slot}`);
      if (v) resources[slot] = v;
    }
    const quickStart: LaunchPreset = { resources };
    for (const key of ["image", "preset", "app"] as const) {
      const v = this.value(`qs-${key}`);
      if (v) quickStart[key] = v;
    }
    const close = root.querySelector<HTMLInputElement>("[name=notebookClose]:checked");
    this.error = null;
    this.saved = false;
    this.busy = true;
    try {
      this.settings = await saveSettings({
        defaultProfileId,
        quickStart,
        notebookClose: (close?.value as NotebookClose | undefined) ?? "ask",
        startAtLogin: root.querySelector<HTMLInputElement>("[name=startAtLogin]")?.checked ?? false,
        idleWarnMinutes: Number(this.value("idleWarnMinutes") || "0"),
        spendGuardMinutes: this.value("spendGuardMinutes") ? Number(this.value("spendGuardMinutes")) : null,
      });
      this.saved = true;
      profilesChanged(this);
    } catch (e) {
      this.error = toApiError(e);
    } finally {
      this.busy = false;
    }
  }

  override render() {
    const s = this.settings;
    const qs = s?.quickStart ?? {};
    const hasProfiles = this.profiles.length > 0;
    return html`<div class="panel" data-testid="settings-panel">
      <h2>Settings</h2>
      <p class="sub">Saved on this computer, alongside your profiles.</p>
      ${s?.warning ? html`<p class="muted" role="status">${s.warning}</p>` : nothing}
      ${s
        ? html`<form @submit=${this.save}>
            <section class="card">
              <h3>Quick start</h3>
              <div class="field">
                <label for="defaultProfile">Default profile</label>
                <select id="defaultProfile" name="defaultProfile" data-testid="default-profile"
                  ?disabled=${!hasProfiles}>
                  ${hasProfiles ? nothing : html`<option value="">No profiles yet</option>`}
                  ${this.profiles.map(
                    (p) => html`<option value=${p.id} ?selected=${p.id === s.defaultProfileId}
                      >${p.name}</option>`,
                  )}
                </select>
              </div>
              <div class="field">
                <label for="qs-image">Image</label>
                <input id="qs-image" name="qs-image" type="text" data-testid="qs-image"
                  .value=${qs.image ?? ""} placeholder="cr.backend.ai/stable/python:3.9-ubuntu20.04" />
              </div>
              <div class="row">
                <div class="field">
                  <label for="qs-cpu">CPU cores</label>
                  <input id="qs-cpu" name="qs-cpu" type="text" .value=${qs.resources?.["cpu"] ?? ""}
                    placeholder="2" />
                </div>
                <div class="field">
                  <label for="qs-mem">Memory</label>
                  <input id="qs-mem" name="qs-mem" type="text" .value=${qs.resources?.["mem"] ?? ""}
                    placeholder="4g" />
                </div>
              </div>
              <div class="row">
                <div class="field">
                  <label for="qs-preset">Or a resource preset</label>
                  <input id="qs-preset" name="qs-preset" type="text" .value=${qs.preset ?? ""}
                    placeholder="used when CPU and memory are empty" />
                </div>
                <div class="field">
                  <label for="qs-app">App to open</label>
                  <input id="qs-app" name="qs-app" type="text" .value=${qs.app ?? ""}
                    placeholder="jupyterlab" />
                </div>
              </div>
            </section>
            <section class="card">
              <fieldset>
                <legend>When a notebook window is closed</legend>
                ${CLOSE_CHOICES.map(
                  (c) => html`<label class="choice"><input type="radio" name="notebookClose"
                    value=${c.value} data-testid=${`close-${c.value}`}
                    .checked=${s.notebookClose === c.value} /> ${c.label}</label>`,
                )}
              </fieldset>
              <label class="choice"><input type="checkbox" name="startAtLogin"
                data-testid="start-at-login" .checked=${s.startAtLogin} />
                Start the launcher when I log in</label>
            </section>
            <section class="card">
              <fieldset>
                <legend>Idle sessions</legend>
                <div class="field">
                  <label for="idleWarnMinutes">Warn this many minutes before the cluster ends an
                    idle session (then again at 2 minutes; 0: never)</label>
                  <input id="idleWarnMinutes" name="idleWarnMinutes" type="number" min="0"
                    max="1440" class="minutes" data-testid="idle-warn-minutes" .value=${String(s.idleWarnMinutes)} />
                </div>
                <div class="field">
                  <label for="spendGuardMinutes">Warn when a session with GPUs or other
                    accelerators has been idle this many minutes (empty: never)</label>
                  <input id="spendGuardMinutes" name="spendGuardMinutes" type="number" min="1"
                    max="1440" class="minutes" data-testid="spend-guard-minutes"
                    .value=${s.spendGuardMinutes === null ? "" : String(s.spendGuardMinutes)} />
                </div>
              </fieldset>
            </section>
            <bai-error-banner .error=${this.error}></bai-error-banner>
            <div class="actions">
              <button class="btn btn-primary" type="submit" data-testid="save-settings"
                ?disabled=${this.busy}>Save settings</button>
              ${this.saved ? html`<span class="ok" role="status" data-testid="settings-saved"
                >Saved</span>` : nothing}
            </div>
          </form>`
        : html`<bai-error-banner .error=${this.error}></bai-error-banner>`}
    </div>`;
  }
}

customElements.define("bai-settings-panel", SettingsPanel);

declare global {
  interface HTMLElementTagNameMap {
    "bai-settings-panel": SettingsPanel;
  }
}
