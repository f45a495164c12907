// Add or edit a profile. The secret is a password field that starts empty: the UI never gets
// a stored secret back, so when editing an empty field means "keep the stored one".
import { LitElement, html, nothing } from "lit";

import {
  ApiError,
  type EndpointKind,
  type Profile,
  type ProfileInput,
  addProfile,
  detectEndpoint,
  toApiError,
  updateProfile,
} from "../api.js";
import { buttonStyles } from "../styles/shared.js";
import { formStyles, panelStyles } from "../styles/forms.js";
import "./error-banner.js";
import { navigate, profilesChanged } from "./events.js";

export class ProfileForm extends LitElement {
  static override properties = {
    profile: { attribute: false },
    kind: { state: true },
    error: { state: true },
    busy: { state: true },
    detected: { state: true },
    otpAsked: { state: true },
    otherLogin: { state: true },
  };

  /** The profile being edited; null to add a new one. */
  declare profile: Profile | null;
  declare kind: EndpointKind;
  declare error: ApiError | null;
  declare busy: boolean;
  declare detected: string | null;
  /** The server asked for a one-time code (two-factor sign-in): the form shows a field for it. */
  declare otpAsked: boolean;
  /** The account is signed in elsewhere up to its limit: the form offers to sign that out. */
  declare otherLogin: boolean;
  private forceLogin = false;

  constructor() {
    super();
    this.profile = null;
    this.kind = "api";
    this.error = null;
    this.busy = false;
    this.detected = null;
    this.otpAsked = false;
    this.otherLogin = false;
  }

  static override styles = [buttonStyles, panelStyles, formStyles];

  override willUpdate(changed: Map<string, unknown>) {
    if (changed.has("profile")) {
      this.kind = this.profile?.kind ?? "api";
      this.otpAsked = false;
      this.otherLogin = false;
    }
  }

  private input(name: string): HTMLInputElement | null {
    return this.renderRoot.querySelector<HTMLInputElement>(`[name="${name}"]`);
  }

  private value(name: string): string {
    return this.input(name)?.value.trim() ?? "";
  }

  private async detect() {
    const url = this.value("endpoint");
    this.error = null;
    this.detected = null;
    this.busy = true;
    try {
      // The form's TLS fields, when it has them: Detect trusts what the profile will trust.
      const d = await detectEndpoint(url, {
        caCert: this.value("caCert") || null,
        skipTlsVerify: this.input("skipTlsVerify")?.checked ?? false,
      });
      const endpoint = this.input("endpoint");
      if (endpoint) endpoint.value = d.endpoint;
      this.kind = d.kind;
      const what = d.kind === "api" ? "Manager API (keypair)" : "Web UI server (email and password)";
      this.detected = `${what}${d.managerVersion ? `, Backend.AI ${d.managerVersion}` : ""}`;
    } catch (e) {
      this.error = toApiError(e);
    } finally {
      this.busy = false;
    }
  }

  private collect(): ProfileInput {
    const input: ProfileInput = {
      name: this.value("name"),
      endpoint: this.value("endpoint"),
      kind: this.kind,
      domain: this.value("domain"),
      project: this.value("project"),
      resourceGroup: this.value("resourceGroup"),
    };
    if (this.kind === "api") input.accessKey = this.value("accessKey");
    else {
      input.email = this.value("email");
      input.rememberPassword = this.input("rememberPassword")?.checked ?? false;
      const otp = this.value("otp");
      if (otp) input.otp = otp;
      if (this.forceLogin) input.forceLogin = true;
    }
    // The TLS settings go with every save, as the form shows them: an edit never drops a
    // profile's CA or its skip-verify choice (an empty CA field removes the CA).
    input.caCert = this.value("caCert");
    input.skipTlsVerify = this.input("skipTlsVerify")?.checked ?? false;
    // Not trimmed: a secret is taken exactly as typed.
    const secret = this.input("secret")?.value ?? "";
    if (secret) input.secret = secret;
    return input;
  }

  private async save(ev: Event) {
    ev.preventDefault();
    this.error = null;
    this.busy = true;
    try {
      const input = this.collect();
      const saved = this.profile
        ? await updateProfile(this.profile.id, input)
        : await addProfile(input);
      // Drop the typed secret from the DOM as soon as it has been handed over.
      const secret = this.input("secret");
      if (secret) secret.value = "";
      this.otpAsked = false;
      this.otherLogin = false;
      profilesChanged(this, saved);
    } catch (e) {
      this.error = toApiError(e);
      // The sign-in's own questions get a place in the form: a code field, or the choice to
      // sign out the other session. A used code is stale, so the field starts empty again.
      if (this.error.code === "otp-required") {
        this.otpAsked = true;
        await this.updateComplete;
        const otp = this.input("otp");
        if (otp) {
          otp.value = "";
          otp.focus();
        }
      }
      this.otherLogin = this.error.code === "active-login-session-exists";
      // A webserver profile may have been saved before its login failed: show it in the list.
      profilesChanged(this);
    } finally {
      this.busy = false;
      this.forceLogin = false;
    }
  }

  /** Sign in again, asking the server to sign out the account's oldest other session. */
  private signOutOtherAndSave() {
    this.forceLogin = true;
    this.renderRoot.querySelector("form")?.requestSubmit();
  }

  override render() {
    const p = this.profile;
    const api = this.kind === "api";
    const secretLabel = api ? "Secret key" : "Password";
    const keep = p?.hasSecret ? `Leave empty to keep the stored one (${p.secretMasked ?? "********"})` : "";
    return html`<div class="panel">
      <h2>${p ? `Edit ${p.name}` : "Add a profile"}</h2>
      <p class="sub">
        Saved on this computer. The ${api ? "secret key" : "password"} goes to the system keyring,
        never to a file.
      </p>
      <form class="card" data-testid="profile-form" @submit=${this.save} novalidate>
        <div class="field">
          <label for="name">Name</label>
          <input id="name" name="name" type="text" data-testid="field-name" required
            .value=${p?.name ?? ""} placeholder="Work cluster" autocomplete="off" />
        </div>
        <div class="field">
          <label for="endpoint">Endpoint</label>
          <div class="inline">
            <input id="endpoint" name="endpoint" type="url" data-testid="field-endpoint" required
              .value=${p?.endpoint ?? ""} placeholder="https://api.example.com or the web UI address"
              autocomplete="off" />
            <button type="button" class="btn btn-secondary" data-testid="detect"
              ?disabled=${this.busy} @click=${this.detect}>Detect</button>
          </div>
          ${this.detected
            ? html`<span class="ok" data-testid="detected">Detected: ${this.detected}</span>`
            : html`<span class="help">Paste a web UI address and press Detect to pick the kind.</span>`}
        </div>
        <fieldset>
          <legend>Sign in with</legend>
          <label class="choice"><input type="radio" name="kind" value="api" data-testid="kind-api"
            .checked=${api} @change=${() => (this.kind = "api")} /> Keypair (manager API)</label>
          <label class="choice"><input type="radio" name="kind" value="webserver"
            data-testid="kind-webserver" .checked=${!api}
            @change=${() => (this.kind = "webserver")} /> Email and password (web UI)</label>
        </fieldset>
        ${api
          ? html`<div class="field">
              <label for="accessKey">Access key</label>
              <input id="accessKey" name="accessKey" type="text" data-testid="field-access-key"
                .value=${p?.accessKey ?? ""} autocomplete="off" spellcheck="false" />
            </div>`
          : html`<div class="field">
              <label for="email">Email</label>
              <input id="email" name="email" type="email" data-testid="field-email"
                .value=${p?.email ?? ""} autocomplete="off" />
            </div>`}
        <div class="field">
          <label for="secret">${secretLabel}</label>
          <input id="secret" name="secret" type="password" data-testid="field-secret"
            autocomplete="new-password" spellcheck="false" placeholder=${keep} />
          ${keep ? html`<span class="help">${keep}.</span>` : nothing}
        </div>
        ${api
          ? nothing
          : html`<label class="choice"><input type="checkbox" name="rememberPassword"
              data-testid="field-remember" .checked=${p?.rememberPassword ?? true} />
              Remember the password (sign in again without asking)</label>`}
        ${!api && this.otpAsked
          ? html`<div class="field">
              <label for="otp">One-time code</label>
              <input id="otp" name="otp" type="text" data-testid="field-otp" inputmode="numeric"
                autocomplete="one-time-code" spellcheck="false" maxlength="10" />
              <span class="help">This account uses two-factor sign-in: enter the current code
                from your authenticator app.</span>
            </div>`
          : nothing}
        <div class="row">
          <div class="field">
            <label for="domain">Domain</label>
            <input id="domain" name="domain" type="text" .value=${p?.domain ?? "default"} />
          </div>
          <div class="field">
            <label for="project">Project</label>
            <input id="project" name="project" type="text" .value=${p?.project ?? ""}
              placeholder="default" />
          </div>
        </div>
        <div class="field">
          <label for="resourceGroup">Resource group</label>
          <input id="resourceGroup" name="resourceGroup" type="text"
            .value=${p?.resourceGroup ?? ""} placeholder="the cluster's default" />
        </div>
        <fieldset>
          <legend>TLS</legend>
          <div class="field">
            <label for="caCert">CA certificate file</label>
            <input id="caCert" name="caCert" type="text" data-testid="field-ca-cert"
              .value=${p?.caCert ?? ""} placeholder="/path/to/private-ca.pem (optional)"
              autocomplete="off" spellcheck="false" />
            <span class="help">For a cluster whose certificate a private CA signed.</span>
          </div>
          <label class="choice"><input type="checkbox" name="skipTlsVerify"
            data-testid="field-skip-tls-verify" .checked=${p?.skipTlsVerify ?? false} />
            Do not verify the server's certificate (unsafe: test clusters only)</label>
        </fieldset>
        <bai-error-banner .error=${this.error}></bai-error-banner>
        ${!api && this.otherLogin
          ? html`<p class="help" data-testid="other-login">
              <button type="button" class="btn btn-secondary" data-testid="sign-out-other"
                ?disabled=${this.busy} @click=${this.signOutOtherAndSave}
                >Sign out the other session and sign in</button>
            </p>`
          : nothing}
        <div class="actions">
          <button type="submit" class="btn btn-primary" data-testid="save-profile"
            ?disabled=${this.busy}>${p ? "Save changes" : "Add profile"}</button>
          <button type="button" class="btn btn-secondary" data-testid="cancel"
            @click=${() => navigate(this, p ? { kind: "detail", id: p.id } : { kind: "welcome" })}
            >Cancel</button>
        </div>
      </form>
    </div>`;
  }
}

customElements.define("bai-profile-form", ProfileForm);

declare global {
  interface HTMLElementTagNameMap {
    "bai-profile-form": ProfileForm;
  }
}
