// The main area while no profile is selected: what the launcher does, in three steps.
import { LitElement, css, html } from "lit";

const STEPS = [
  {
    title: "Add a profile",
    body: "An API endpoint with an access key, or a web endpoint with your login. Secrets stay in the system keyring.",
  },
  {
    title: "Launch a notebook",
    body: "Pick an image and resources; progress shows live while the session is scheduled and prepared.",
  },
  {
    title: "Work in JupyterLab",
    body: "The notebook opens in its own window through a private local tunnel, no extra login needed.",
  },
] as const;

export class WelcomePanel extends LitElement {
  static override styles = css`
    :host {
      display: block;
      overflow: auto;
      padding: var(--bai-space-6);
    }
    .hero {
      max-width: 640px;
      margin: var(--bai-space-5) auto 0;
    }
    h2 {
      margin: 0 0 var(--bai-space-2);
      font-size: 22px;
      font-weight: 650;
      letter-spacing: -0.015em;
    }
    .lead {
      margin: 0 0 var(--bai-space-5);
      color: var(--bai-text-muted);
      font-size: 15px;
    }
    ol {
      list-style: none;
      margin: 0;
      padding: 0;
      display: grid;
      gap: var(--bai-space-3);
      counter-reset: step;
    }
    li {
      counter-increment: step;
      display: grid;
      grid-template-columns: 32px 1fr;
      gap: var(--bai-space-3);
      padding: var(--bai-space-4);
      background: var(--bai-surface);
      border: 1px solid var(--bai-border);
      border-radius: var(--bai-radius);
      box-shadow: var(--bai-shadow);
    }
    li::before {
      content: counter(step);
      display: grid;
      place-items: center;
      width: 28px;
      height: 28px;
      border-radius: 50%;
      background: var(--bai-accent-soft);
      color: var(--bai-accent);
      font-weight: 700;
      font-size: 13px;
    }
    h3 {
      margin: 3px 0 var(--bai-space-1);
      font-size: 14px;
      font-weight: 600;
    }
    li p {
      margin: 0;
      color: var(--bai-text-muted);
      font-size: 13px;
    }
  `;

  override render() {
    return html`
      <div class="hero">
        <h2>Notebooks on Backend.AI, one click away</h2>
        <p class="lead">
          Start a session, follow it until it runs, and open JupyterLab in a desktop window.
        </p>
        <ol>
          ${STEPS.map(
            (s) => html`<li>
              <div>
                <h3>${s.title}</h3>
                <p>${s.body}</p>
              </div>
            </li>`,
          )}
        </ol>
      </div>
    `;
  }
}

customElements.define("bai-welcome-panel", WelcomePanel);

declare global {
  interface HTMLElementTagNameMap {
    "bai-welcome-panel": WelcomePanel;
  }
}
