// Subscriptions to what the shell pushes: session lists, launch progress, profile changes made
// outside the UI (the tray). The UI never polls; it renders what these deliver.
import { listen } from "@tauri-apps/api/event";

import type { LaunchView, SessionsSnapshot } from "./api.js";

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

export function onProfilesChanged(h: () => void): Promise<Unsubscribe> {
  return subscribe("profiles-changed", h);
}
