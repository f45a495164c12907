// The left column: the user's Backend.AI profiles. Only the empty state exists until the profile
// store lands; the demo button is shown, disabled, so the way in is visible from day one.
import { LitElement, css, html } from "lit";

import { buttonStyles } from "../styles/shared.js";

/** Why "Try the demo" is disabled; shown as its tooltip and read by screen readers. */
export const DEMO_UNAVAILABLE_HINT =
  "The demo arrives with the built-in demo endpoint in a coming release.";

export class ProfileList extends LitElement {
  static override styles = [
    buttonStyles,
    css`
      :host {
        display: flex;
        flex-direction: column;
        min-height: 0;
        background: var(--bai-surface);
        border-right: 1px solid var(--bai-border);
      }
      .heading {
        display: flex;
        align-items: center;
        justify-content: space-between;
        padding: var(--bai-space-4) var(--bai-space-4) var(--bai-space-2);
      }
      h2 {
        margin: 0;
        font-size: 12px;
        font-weight: 600;
        text-transform: uppercase;
        letter-spacing: 0.06em;
        color: var(--bai-text-muted);
      }
      .count {
        font-size: 12px;
        color: var(--bai-text-muted);
      }
      .empty {
        margin: var(--bai-space-2) var(--bai-space-4);
        padding: var(--bai-space-5) var(--bai-space-4);
        border: 1px dashed var(--bai-border);
        border-radius: var(--bai-radius);
        text-align: center;
        background: var(--bai-surface-sunken);
      }
      .empty h3 {
        margin: 0 0 var(--bai-space-1);
        font-size: 14px;
        font-weight: 600;
      }
      .empty p {
        margin: 0 0 var(--bai-space-4);
        color: var(--bai-text-muted);
        font-size: 13px;
      }
      /* A disabled button gets no pointer events in WebKit, so the tooltip hangs on a wrapper
         that also takes keyboard focus. */
      .tip {
        position: relative;
        display: inline-block;
        border-radius: var(--bai-radius-sm);
      }
      .tip:focus-visible {
        outline: 2px solid var(--bai-accent);
        outline-offset: 2px;
      }
      .tip [role="tooltip"] {
        visibility: hidden;
        opacity: 0;
        position: absolute;
        left: 50%;
        top: calc(100% + 8px);
        transform: translateX(-50%);
        width: 200px;
        padding: var(--bai-space-2) var(--bai-space-3);
        border-radius: var(--bai-radius-sm);
        background: var(--bai-text);
        color: var(--bai-bg);
        font-size: 12px;
        line-height: 1.4;
        box-shadow: var(--bai-shadow);
        transition: opacity 120ms ease;
        z-index: 1;
      }
      .tip:hover [role="tooltip"],
      .tip:focus-within [role="tooltip"] {
        visibility: visible;
        opacity: 1;
      }
    `,
  ];

  override render() {
    return html`
      <div class="heading">
        <h2 id="profiles-heading">Profiles</h2>
        <span class="count" aria-label="0 profiles">0</span>
      </div>
      <section class="empty" aria-labelledby="profiles-heading" data-testid="profiles-empty">
        <h3>No profiles yet</h3>
        <p>A profile holds a Backend.AI endpoint and your keypair or login.</p>
        <span class="tip" tabindex="0">
          <button
            class="btn btn-primary"
            data-testid="try-demo"
            disabled
            aria-describedby="demo-hint"
          >
            Try the demo
          </button>
          <span role="tooltip" id="demo-hint">${DEMO_UNAVAILABLE_HINT}</span>
        </span>
      </section>
    `;
  }
}

customElements.define("bai-profile-list", ProfileList);

declare global {
  interface HTMLElementTagNameMap {
    "bai-profile-list": ProfileList;
  }
}
