// Subscriptions to what the shell pushes: session lists, launch progress, profile changes made
// outside the UI (the tray). The UI never polls; it renders what these deliver.
import { listen } from "@tauri-apps/api/event";

import type { CommandError, IdleNotice, LaunchView, SessionsSnapshot } from "./api.js";

export type Unsubscribe = () => void;

async function subscribe<T>(event: string, handler: (payload: T) => void): Promise<Unsubscribe> {
  try {
    return await listen<T>(event, (e) => handler(e.payload));
  } catch {
    // Outside the app (unit tests, plain vite): there is nothing to listen to.
    return () => undefined;
  }
}

export function onSessionsChanged(h: (s: SessionsSnapshot) => void): Promise<Unsubscribe> {
  return subscribe("sessions-changed", h);
}

export function onLaunchProgress(h: (v: LaunchView) => void): Promise<Unsubscribe> {
  return subscribe("launch-progress", h);
}

export function onLaunchStarted(h: (v: LaunchView) => void): Promise<Unsubscribe> {
  return subscribe("launch-started", h);
}

/** What a `backendai-launcher:` link asks the launcher to show (`bai_launcher::deep_link`). */
export type DeepLinkMessage =
  | { kind: "open"; profileId: string; profileName: string; session: string }
  | { kind: "confirm-launch"; profileId: string; profileName: string; preset: string }
  | { kind: "refused"; error: CommandError };

export function onDeepLink(h: (m: DeepLinkMessage) => void): Promise<Unsubscribe> {
  return subscribe("deep-link", h);
}

/** Idle and spend warnings, for the launcher to offer their actions. */
export function onIdleNotice(h: (n: IdleNotice) => void): Promise<Unsubscribe> {
  return subscribe("idle-notice", h);
}

export function onProfilesChanged(h: () => void): Promise<Unsubscribe> {
  return subscribe("profiles-changed", h);
}
