// What "Try the demo" needs when JupyterLab is missing: what it is for, the exact commands to
// install it, and (with the user's go-ahead) the launcher installing it into its own folder,
// with the install's progress. Fires "demo-jupyter-ready" when JupyterLab is there.
import { LitElement, css, html, nothing } from "lit";

import {
  type ApiError,
  type DemoInstallPhase,
  type DemoSetup as DemoSetupData,
  demoSetup,
  installDemoJupyter,
  toApiError,
} from "../api.js";
import { buttonStyles } from "../styles/shared.js";
import "./error-banner.js";

const PHASE_WORDS: Record<DemoInstallPhase, string> = {
  idle: "",
  creatingVenv: "Creating a Python environment…",
  installing: "Downloading and installing JupyterLab (this takes a minute or two)…",
  done: "JupyterLab is installed.",
  failed: "The install did not finish.",
};

/** How often the progress is read while the install runs. */
const POLL_MS = 500;

export class DemoSetup extends LitElement {
  static override properties = {
    data: { state: true },
    error: { state: true },
  };

  declare data: DemoSetupData | null;
  declare error: ApiError | null;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor() {
    super();
    this.data = null;
    this.error = null;
  }

  static override styles = [
    buttonStyles,
    css`
      :host {
        display: block;
        text-align: left;
        font-size: 12px;
      }
      h4 {
        margin: var(--bai-space-3) 0 var(--bai-space-1);
        font-size: 13px;
      }
      p {
        margin: 0 0 var(--bai-space-2);
        color: var(--bai-text);
        overflow-wrap: anywhere;
      }
      pre {
        margin: 0 0 var(--bai-space-2);
        padding: var(--bai-space-2);
        border-radius: var(--bai-radius-sm);
        background: var(--bai-surface);
        border: 1px solid var(--bai-border);
        font-family: var(--bai-font-mono);
        font-size: 11px;
        white-space: pre-wrap;
        overflow-wrap: anywhere;
        user-select: text;
      }
      .log {
        max-height: 9em;
        overflow: auto;
        color: var(--bai-text-muted);
      }
      .btn {
        width: 100%;
      }
    `,
  ];

  override connectedCallback() {
    super.connectedCallback();
    void this.refresh();
  }

  override disconnectedCallback() {
    super.disconnectedCallback();
    clearTimeout(this.timer);
  }

  private running(): boolean {
    const phase = this.data?.install.phase;
    return phase === "creatingVenv" || phase === "installing";
  }

  private async refresh() {
    clearTimeout(this.timer);
    try {
      this.data = await demoSetup();
      this.error = null;
    } catch (e) {
      this.error = toApiError(e);
      return;
    }
    this.follow();
  }

  /** Keep reading the progress while the install runs; say so when JupyterLab is there. */
  private follow() {
    if (this.running()) {
      this.timer = setTimeout(() => void this.refresh(), POLL_MS);
    } else if (this.data?.jupyterlab) {
      this.dispatchEvent(new CustomEvent("demo-jupyter-ready", { bubbles: true, composed: true }));
    }
  }

  private async install() {
    this.error = null;
    try {
      this.data = await installDemoJupyter();
    } catch (e) {
      this.error = toApiError(e);
      return;
    }
    this.follow();
  }

  override render() {
    const d = this.data;
    if (!d) return html`<bai-error-banner .error=${this.error}></bai-error-banner>`;
    const phase = d.install.phase;
    const busy = this.running();
    return html`<section data-testid="demo-setup" data-phase=${phase} aria-live="polite">
      <h4>The demo needs JupyterLab</h4>
      ${d.jupyterlab
        ? html`<p data-testid="demo-jupyter-found">JupyterLab is ready: ${d.jupyterlab}</p>`
        : html`<p data-testid="demo-explanation">
              The demo opens its notebooks in JupyterLab, which is not installed on this computer.
            </p>
            ${d.canInstall && !busy
              ? html`<p>
                    The launcher can install it for you into its own folder
                    (${d.venvDir}); it downloads about 100 MB from the Python Package Index.
                  </p>
                  <button class="btn btn-primary" data-testid="install-jupyter"
                    @click=${this.install}>${phase === "failed" ? "Try the install again" : "Install JupyterLab"}</button>`
              : nothing}
            ${busy || phase === "done" || phase === "failed"
              ? html`<p data-testid="demo-install-status">${PHASE_WORDS[phase]}</p>
                  ${d.install.lines.length
                    ? html`<pre class="log" data-testid="demo-install-log">${d.install.lines.join("\n")}</pre>`
                    : nothing}`
              : nothing}
            ${d.install.error
              ? html`<p role="alert" data-testid="demo-install-error">${d.install.error}</p>`
              : nothing}
            <h4>Or install it yourself</h4>
            <pre data-testid="demo-install-commands">${d.commands.join("\n")}</pre>
            <p>
              On Debian or Ubuntu, <code>python3 -m venv</code> needs the python3-venv package
              (<code>sudo apt install python3-venv</code>). Then press Try the demo again.
            </p>`}
      <bai-error-banner .error=${this.error}></bai-error-banner>
    </section>`;
  }
}

customElements.define("bai-demo-setup", DemoSetup);

declare global {
  interface HTMLElementTagNameMap {
    "bai-demo-setup": DemoSetup;
  }
}
