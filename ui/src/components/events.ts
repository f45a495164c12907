// The events components send up to the shell, which owns the state and the current view.
import type { Profile } from "../api.js";

/** What the main area shows. */
export type View =
  | { kind: "welcome" }
  | { kind: "add" }
  | { kind: "edit"; id: string }
  | { kind: "detail"; id: string; session?: string }
  | { kind: "settings" }
  | { kind: "launch"; id: string }
  | { kind: "progress"; launchId: string };

/** Ask the shell to show another view. */
export function navigate(from: Element, view: View): void {
  from.dispatchEvent(new CustomEvent<View>("navigate", { detail: view, bubbles: true, composed: true }));
}

/** Tell the shell the profiles changed (it reloads them); `select` opens that profile. */
export function profilesChanged(from: Element, select?: Profile): void {
  from.dispatchEvent(
    new CustomEvent<Profile | undefined>("profiles-changed", {
      detail: select,
      bubbles: true,
      composed: true,
    }),
  );
}
