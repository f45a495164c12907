// The launch form: an image from the cluster, a resource preset (marked when it does not fit
// now, or when the cluster cannot tell) or custom cpu/memory/accelerator, project, resource
// group, folders to mount, environment variables and the app to open. Submitting starts the
// launch and shows its progress.
import { LitElement, css, html, nothing } from "lit";

import {
  ApiError,
  type LaunchInput,
  type LaunchOptions,
  type Profile,
  launchOptions,
  launchSession,
  toApiError,
} from "../api.js";
import { resources } from "../format.js";
import { buttonStyles } from "../styles/shared.js";
import { formStyles, panelStyles } from "../styles/forms.js";
import "./error-banner.js";
import { navigate } from "./events.js";

const CUSTOM = "__custom__";

/** What the preset list adds to a preset's line: nothing when it fits now. */
export function fitNote(allocatable: boolean | null): string {
  if (allocatable === null) return " (fit unknown)";
  return allocatable ? "" : " (not available now)";
}

/** `KEY=value` lines into a map; blank lines and `#` comments are skipped. */
export function parseEnv(text: string): { env: Record<string, string>; bad: string[] } {
  const env: Record<string, string> = {};
  const bad: string[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (!line || line.startsWith("#")) continue;
    const eq = line.indexOf("=");
    const key = eq > 0 ? line.slice(0, eq).trim() : "";
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) bad.push(line);
    else env[key] = line.slice(eq + 1);
  }
  return { env, bad };
}

export class LaunchForm extends LitElement {
  static override properties = {
    profile: { attribute: false },
    options: { state: true },
    error: { state: true },
    busy: { state: true },
    image: { state: true },
    preset: { state: true },
  };

  declare profile: Profile | null;
  declare options: LaunchOptions | null;
  declare error: ApiError | null;
  declare busy: boolean;
  declare image: string;
  declare preset: string;

  constructor() {
    super();
    this.profile = null;
    this.options = null;
    this.error = null;
    this.busy = false;
    this.image = "";
    this.preset = "";
  }

  static override styles = [
    buttonStyles,
    panelStyles,
    formStyles,
    css`
      .folders {
        display: flex;
        flex-wrap: wrap;
        gap: var(--bai-space-2) var(--bai-space-4);
        font-size: 13px;
      }
      .three {
        display: grid;
        grid-template-columns: 1fr 1fr 1fr;
        gap: var(--bai-space-3);
      }
      textarea {
        font-family: var(--bai-font-mono);
        font-size: 12px;
        min-height: 64px;
      }
    `,
  ];

  override willUpdate(changed: Map<string, unknown>) {
    const old = changed.get("profile") as Profile | null | undefined;
    if (changed.has("profile") && old?.id !== this.profile?.id) void this.load();
  }

  private async load() {
    const p = this.profile;
    if (!p) return;
    this.options = null;
    this.error = null;
    this.busy = true;
    try {
      const o = await launchOptions(p.id);
      this.options = o;
      const qs = p.quickStart.image;
      this.image =
        (qs && o.images.find((i) => i.reference === qs)?.reference) ||
        o.images.find((i) => i.apps.includes("jupyterlab"))?.reference ||
        o.images[0]?.reference ||
        "";
      // A preset known to fit first; when the cluster cannot tell, one not known to fail.
      this.preset =
        o.presets.find((x) => x.allocatable === true)?.name ??
        o.presets.find((x) => x.allocatable === null)?.name ??
        CUSTOM;
    } catch (e) {
      this.error = toApiError(e);
    } finally {
      this.busy = false;
    }
  }

  private value(name: string): string {
    const el = this.renderRoot.querySelector<HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement>(
      `[name=${name}]`,
    );
    return el?.value.trim() ?? "";
  }

  private input(): LaunchInput | string {
    const o = this.options;
    if (!o) return "The cluster's options are not loaded yet.";
    if (!this.image) return "Choose an image.";
    const slots: Record<string, string> = {};
    let preset: string | undefined;
    if (this.preset === CUSTOM) {
      const cpu = this.value("cpu");
      const mem = this.value("mem");
      const accel = this.value("accelSlot");
      const amount = this.value("accelAmount");
      if (cpu) slots.cpu = cpu;
      if (mem) slots.mem = mem;
      if (accel && amount) slots[accel] = amount;
    } else {
      // By name: the app resolves it on the cluster (slots and shared memory) as the CLI does.
      preset = this.preset;
    }
    const { env, bad } = parseEnv(this.value("environ"));
    if (bad.length) return `These environment lines are not KEY=value: ${bad.join(", ")}`;
    const mounts = [...this.renderRoot.querySelectorAll<HTMLInputElement>("[name=mount]:checked")].map(
      (c) => c.value,
    );
    return {
      image: this.image,
      name: this.value("sessionName") || undefined,
      preset,
      resources: slots,
      project: this.value("project") || undefined,
      resourceGroup: this.value("resourceGroup") || undefined,
      mounts,
      environ: env,
      app: this.value("app") || undefined,
    };
  }

  private async submit(ev: Event) {
    ev.preventDefault();
    const p = this.profile;
    if (!p) return;
    const input = this.input();
    if (typeof input === "string") {
      this.error = new ApiError("invalid-input", input);
      return;
    }
    this.error = null;
    this.busy = true;
    try {
      const launchId = await launchSession(p.id, input);
      navigate(this, { kind: "progress", launchId });
    } catch (e) {
      this.error = toApiError(e);
    } finally {
      this.busy = false;
    }
  }

  private renderFields(o: LaunchOptions) {
    const apps = o.images.find((i) => i.reference === this.image)?.apps ?? [];
    const webApps = apps.filter((a) => a !== "ttyd" && a !== "sshd");
    return html`
      <label class="field">
        <span>Image</span>
        <select name="image" data-testid="launch-image" .value=${this.image}
          @change=${(e: Event) => (this.image = (e.target as HTMLSelectElement).value)}>
          ${o.images.map((i) => html`<option value=${i.reference} ?selected=${i.reference === this.image}>
              ${i.reference}</option>`)}
        </select>
      </label>
      <div class="row">
        <label class="field">
          <span>App to open</span>
          <select name="app" data-testid="launch-app">
            ${webApps.map((a) => html`<option value=${a} ?selected=${a === "jupyterlab"}>${a}</option>`)}
          </select>
        </label>
        <label class="field">
          <span>Session name <span class="muted">(optional)</span></span>
          <input name="sessionName" data-testid="launch-name" placeholder="generated" />
        </label>
      </div>
      <label class="field">
        <span>Resources</span>
        <select name="preset" data-testid="launch-preset" .value=${this.preset}
          @change=${(e: Event) => (this.preset = (e.target as HTMLSelectElement).value)}>
          ${o.presets.map((x) => html`<option value=${x.name} ?selected=${x.name === this.preset}>
              ${x.name} — ${resources(x.resources)}${fitNote(x.allocatable)}
            </option>`)}
          <option value=${CUSTOM} ?selected=${this.preset === CUSTOM}>Custom…</option>
        </select>
      </label>
      ${this.preset === CUSTOM
        ? html`<div class="three">
            <label class="field"><span>CPU cores</span>
              <input name="cpu" data-testid="launch-cpu" value="1" inputmode="decimal" /></label>
            <label class="field"><span>Memory</span>
              <input name="mem" data-testid="launch-mem" value="1g" /></label>
            <label class="field"><span>Accelerator</span>
              <span class="row">
                <input name="accelSlot" placeholder="cuda.shares" aria-label="Accelerator slot" />
                <input name="accelAmount" placeholder="0" aria-label="Accelerator amount" />
              </span></label>
          </div>`
        : nothing}
      ${Object.keys(o.remaining).length
        ? html`<p class="muted">You can still allocate: ${resources(o.remaining)}</p>`
        : nothing}
      <div class="row">
        <label class="field">
          <span>Project</span>
          <select name="project" data-testid="launch-project">
            ${(o.projects.length ? o.projects : [o.project]).map(
              (x) => html`<option value=${x} ?selected=${x === o.project}>${x}</option>`,
            )}
          </select>
        </label>
        <label class="field">
          <span>Resource group</span>
          <select name="resourceGroup" data-testid="launch-group">
            <option value="">server default</option>
            ${o.resourceGroups.map(
              (g) => html`<option value=${g} ?selected=${g === o.resourceGroup}>${g}</option>`,
            )}
          </select>
        </label>
      </div>
      <fieldset class="field">
        <legend>Folders to mount</legend>
        <div class="folders">
          ${o.folders.length
            ? o.folders.map((f) => html`<label><input type="checkbox" name="mount" value=${f} /> ${f}</label>`)
            : html`<span class="muted">No folders</span>`}
        </div>
      </fieldset>
      <label class="field">
        <span>Environment variables <span class="muted">(KEY=value, one a line)</span></span>
        <textarea name="environ" data-testid="launch-env"></textarea>
      </label>
    `;
  }

  override render() {
    const p = this.profile;
    if (!p) return nothing;
    const o = this.options;
    return html`<div class="panel" data-testid="launch-form">
      <h2>New session</h2>
      <p class="sub">on ${p.name}</p>
      <form class="card" @submit=${this.submit}>
        ${o ? this.renderFields(o) : html`<p class="muted">${this.busy ? "Asking the cluster…" : ""}</p>`}
        ${o?.warnings.length
          ? html`<p class="muted">Some options could not be read: ${o.warnings.map((w) => w.message).join("; ")}</p>`
          : nothing}
        <bai-error-banner .error=${this.error}></bai-error-banner>
        <div class="actions">
          <button class="btn btn-primary" type="submit" data-testid="launch-submit"
            ?disabled=${this.busy || !o}>Launch</button>
          <button class="btn btn-secondary" type="button"
            @click=${() => navigate(this, { kind: "detail", id: p.id })}>Cancel</button>
          ${this.error && !o
            ? html`<button class="btn btn-secondary" type="button" @click=${() => void this.load()}>Retry</button>`
            : nothing}
        </div>
      </form>
    </div>`;
  }
}

customElements.define("bai-launch-form", LaunchForm);

declare global {
  interface HTMLElementTagNameMap {
    "bai-launch-form": LaunchForm;
  }
}
