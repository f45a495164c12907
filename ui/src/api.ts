// The one module that talks to the Rust shell. Components call these typed functions and never
// `invoke` directly, so every command name and payload shape lives here, next to its Rust twin
// in src-tauri/src/commands/.
import { invoke } from "@tauri-apps/api/core";

/** `app_info`: mirrors `bai_launcher::AppInfo`. */
export interface AppInfo {
  /** The launcher's version, e.g. "0.1.0". */
  version: string;
  /** The Backend.AI API versions this build speaks, e.g. "v4.20190615" .. "v9.20250722". */
  apiVersions: { oldest: string; newest: string };
  build: "debug" | "release";
}

/** What every failed command carries: mirrors `bai_launcher::CommandError`. */
export interface CommandError {
  /** Stable machine code to branch on, e.g. "auth-failed". */
  code: string;
  /** Human-readable explanation to show as is. */
  message: string;
}

/** Codes the UI itself produces when a call fails before or outside a command. */
export const ClientErrorCode = {
  /** The page runs outside the Tauri shell (e.g. plain `vite` in a browser). */
  NotInApp: "not-in-app",
  /** The shell refused the call (not allowed by a capability, or an unknown command). */
  IpcRejected: "ipc-rejected",
  Unknown: "unknown",
} as const;

/** The error thrown by every function in this module. */
export class ApiError extends Error implements CommandError {
  readonly code: string;

  constructor(code: string, message: string) {
    super(message);
    this.name = "ApiError";
    this.code = code;
  }
}

/** Every command the shell exposes; keep in step with src-tauri/src/commands/names.rs. */
type Command =
  | "app_info"
  | "list_profiles"
  | "add_profile"
  | "update_profile"
  | "rename_profile"
  | "remove_profile"
  | "set_default_profile"
  | "test_connection"
  | "detect_endpoint"
  | "import_env_profile"
  | "orphan_secrets"
  | "get_settings"
  | "save_settings"
  | "start_demo"
  | "demo_setup"
  | "install_demo_jupyter"
  | "ui_ready"
  | "watch_sessions"
  | "launch_options"
  | "launch_session"
  | "launch_status"
  | "cancel_launch"
  | "open_session"
  | "terminate_session"
  | "keep_alive"
  | "launch_preset"
  | "keep_idle_session"
  | "quick_start"
  | "open_in_vscode"
  | "launch_history"
  | "clear_launch_history"
  | "launch_again";

/** Turns whatever `invoke` rejected with into an {@link ApiError}. */
export function toApiError(raw: unknown): ApiError {
  if (raw instanceof ApiError) return raw;
  if (isCommandError(raw)) return new ApiError(raw.code, raw.message);
  // Tauri rejects with a plain string when the ACL or routing refuses the call.
  if (typeof raw === "string") return new ApiError(ClientErrorCode.IpcRejected, raw);
  if (!inTauri()) {
    return new ApiError(
      ClientErrorCode.NotInApp,
      "The launcher UI is running outside the desktop app, so it cannot reach the launcher. Start it with the bai-launcher binary.",
    );
  }
  const detail = raw instanceof Error ? raw.message : String(raw);
  return new ApiError(ClientErrorCode.Unknown, `Unexpected error from the launcher: ${detail}`);
}

function isCommandError(v: unknown): v is CommandError {
  return (
    typeof v === "object" &&
    v !== null &&
    typeof (v as Record<string, unknown>).code === "string" &&
    typeof (v as Record<string, unknown>).message === "string"
  );
}

function inTauri(): boolean {
  return typeof globalThis === "object" && "__TAURI_INTERNALS__" in globalThis;
}

async function call<T>(command: Command, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (raw) {
    throw toApiError(raw);
  }
}

/** The launcher's version and the Backend.AI API versions it speaks. */
export function appInfo(): Promise<AppInfo> {
  return call<AppInfo>("app_info");
}

/** Which kind of server an endpoint is: the manager API (keypair) or the web UI's server. */
export type EndpointKind = "api" | "webserver";

/** What a quick start launches (mirrors `bai_core::profile::LaunchPreset`). */
export interface LaunchPreset {
  image?: string;
  preset?: string;
  /** Slot name → amount, e.g. `{cpu: "2", mem: "4g"}`. */
  resources?: Record<string, string>;
  app?: string;
}

/** A profile as the shell shows it; never holds a secret, only whether one is stored. */
export interface Profile {
  id: string;
  name: string;
  endpoint: string;
  kind: EndpointKind;
  accessKey: string | null;
  email: string | null;
  rememberPassword: boolean;
  domain: string;
  project: string | null;
  resourceGroup: string | null;
  quickStart: LaunchPreset;
  skipTlsVerify: boolean;
  caCert: string | null;
  isDefault: boolean;
  hasSecret: boolean;
  /** "********" when a secret is stored: a fixed mask, never a character of the secret. */
  secretMasked: string | null;
}

export interface ProfileList {
  profiles: Profile[];
  defaultId: string | null;
  warnings: string[];
  /** The keyring could not be read: the list still works, secrets show as unknown. */
  keyringError: CommandError | null;
}

/** What the add/edit form sends. `secret` is the only way a secret crosses IPC (inward). */
export interface ProfileInput {
  name: string;
  endpoint: string;
  kind: EndpointKind;
  accessKey?: string;
  email?: string;
  rememberPassword?: boolean;
  domain?: string;
  project?: string;
  resourceGroup?: string;
  skipTlsVerify?: boolean;
  caCert?: string;
  /** Secret key (api) or password (webserver); empty keeps the stored one. */
  secret?: string;
  /** A one-time code, sent with the password when the server asked for one. */
  otp?: string;
  /** Sign out the account's oldest other session when it is at its concurrent-login limit. */
  forceLogin?: boolean;
  makeDefault?: boolean;
}

export interface ConnectionReport {
  serverVersion: string | null;
  apiVersion: string;
  negotiatedVersion: string;
  email: string;
  fullName: string | null;
  role: string | null;
}

export interface Detected {
  endpoint: string;
  kind: EndpointKind;
  apiVersion: string | null;
  managerVersion: string | null;
}

export type NotebookClose = "keep-running" | "terminate" | "ask";

export interface Settings {
  defaultProfileId: string | null;
  quickStart: LaunchPreset | null;
  notebookClose: NotebookClose;
  startAtLogin: boolean;
  /** Minutes before an idle checker ends a session to warn at (0: never). */
  idleWarnMinutes: number;
  /** Minutes an accelerated session may sit idle before a warning (null: never). */
  spendGuardMinutes: number | null;
  warning: string | null;
}

export interface SettingsInput {
  defaultProfileId: string | null;
  quickStart?: LaunchPreset;
  notebookClose: NotebookClose;
  startAtLogin: boolean;
  idleWarnMinutes: number;
  spendGuardMinutes: number | null;
}

export function listProfiles(): Promise<ProfileList> {
  return call<ProfileList>("list_profiles");
}

export function addProfile(input: ProfileInput): Promise<Profile> {
  return call<Profile>("add_profile", { input });
}

export function updateProfile(id: string, input: ProfileInput): Promise<Profile> {
  return call<Profile>("update_profile", { id, input });
}

export function renameProfile(id: string, newName: string): Promise<Profile> {
  return call<Profile>("rename_profile", { id, newName });
}

export function removeProfile(id: string): Promise<void> {
  return call<void>("remove_profile", { id });
}

export function setDefaultProfile(id: string): Promise<Profile> {
  return call<Profile>("set_default_profile", { id });
}

/** Signs in and asks the server about itself and the user (needs the network). */
export function testConnection(id: string): Promise<ConnectionReport> {
  return call<ConnectionReport>("test_connection", { id });
}

/** Probes an address (an API endpoint, or a pasted web UI page) for its kind, trusting the
 * form's CA certificate file or skipping verification when the form says so. */
export function detectEndpoint(
  url: string,
  tls: { caCert?: string | null; skipTlsVerify?: boolean } = {},
): Promise<Detected> {
  return call<Detected>("detect_endpoint", {
    url,
    caCert: tls.caCert ?? null,
    skipTlsVerify: tls.skipTlsVerify ?? false,
  });
}

/** Keyring secrets no profile in any known config directory uses (ids and kinds only). */
export interface Orphans {
  orphans: { profileId: string; kind: string }[];
  configDirs: string[];
  /** Why nothing is called an orphan right now (a profiles file that cannot be read, ...). */
  blocked: string[];
}

export function orphanSecrets(): Promise<Orphans> {
  return call<Orphans>("orphan_secrets");
}

/** A profile from the official Backend.AI client on this computer (its ~/.backend.ai folder, or
 * its BACKEND_* variables when the launcher was started with them). */
export function importEnvProfile(name?: string): Promise<Profile> {
  return call<Profile>("import_env_profile", { name: name ?? null });
}

export function getSettings(): Promise<Settings> {
  return call<Settings>("get_settings");
}

export function saveSettings(input: SettingsInput): Promise<Settings> {
  return call<Settings>("save_settings", { input });
}

/** Starts the local demo server and adds (or refreshes) the "Demo" profile. */
export function startDemo(): Promise<Profile> {
  return call<Profile>("start_demo");
}

/** The error code of a demo that cannot start because JupyterLab is not installed. */
export const DEMO_NEEDS_JUPYTERLAB = "demo-needs-jupyterlab";

/** Where the app's JupyterLab install is (mirrors `demo_jupyter::InstallPhase`). */
export type DemoInstallPhase = "idle" | "creatingVenv" | "installing" | "done" | "failed";

/** What the demo needs and has (mirrors `commands::demo::DemoSetupView`). */
export interface DemoSetup {
  /** The `jupyter` the demo runs, when there is one. */
  jupyterlab: string | null;
  source: "env" | "appVenv" | "path" | null;
  /** When there is none: what it is for and what to run. */
  explanation: string | null;
  /** The exact commands that install it where the launcher looks. */
  commands: string[];
  /** Where "Install JupyterLab" puts it. */
  venvDir: string | null;
  /** Whether the launcher can install it itself (python3 is there). */
  canInstall: boolean;
  install: { phase: DemoInstallPhase; lines: string[]; error: string | null };
}

/** What the demo needs (JupyterLab) and how an install is going. */
export function demoSetup(): Promise<DemoSetup> {
  return call<DemoSetup>("demo_setup");
}

/** Installs JupyterLab for the demo into the launcher's own folder; the user asked for it. */
export function installDemoJupyter(): Promise<DemoSetup> {
  return call<DemoSetup>("install_demo_jupyter", { consent: true });
}

/** Tells the shell the UI has rendered (the startup benchmark reads its log line). */
export function uiReady(): Promise<number> {
  return call<number>("ui_ready");
}

/** `bai_core::client::StatusPhase`. */
export type StatusPhase = "running" | "transitional" | "ended" | "unknown";

/** One session in a profile's list (mirrors `live::views::SessionView`). */
export interface Session {
  id: string;
  name: string;
  image: string | null;
  /** As the server sent it (shown as is, statuses the app does not know included). */
  status: string;
  /** What the status means (core's one classification); badges and actions follow this. */
  phase: StatusPhase;
  /** Running, but the server reports a problem (`RUNNING_DEGRADED`). */
  degraded: boolean;
  statusInfo: string | null;
  createdAt: string | null;
  /** Slot → amount, e.g. `{cpu: "1", mem: "1073741824"}`. */
  resources: Record<string, string>;
  apps: string[];
  /** It offers SSH: "VS Code" opens it over the session's own tunnel. */
  ssh: boolean;
  /** A notebook window of it is open. */
  open: boolean;
  /** The cluster's idle checkers, soonest deadline first (empty when it reports none). */
  idle: IdleCheck[];
  /** It holds accelerators (a GPU, ...). */
  accelerated: boolean;
}

/** One idle checker of a session (`bai_core::idle::IdleCheckView`). */
export interface IdleCheck {
  /** `network_timeout`, `session_lifetime`, `utilization`, or another checker's name. */
  checker: string;
  label: string;
  /** Seconds left as of the last list; null when the cluster reports nothing. */
  remainingSecs: number | null;
  /** `expire_after`: the session ends then; `grace_period`: judging starts then. */
  kind: "expire_after" | "grace_period";
  /** `traffic`: "Keep alive" works; `real-use` / `nothing`: it cannot. */
  resetBy: "traffic" | "real-use" | "nothing";
  underThresholds: boolean | null;
}

/** An idle warning or a spend warning (`bai_core::live::Notice`), for its session. */
export interface IdleNotice {
  kind: "idle-warning" | "idle-spend";
  title: string;
  body: string;
  session?: { profileId: string; sessionId: string; sessionName: string };
}

/** The `sessions-changed` event. */
export interface SessionsSnapshot {
  profileId: string;
  profileName: string;
  sessions: Session[];
  /** The last refresh failed (e.g. `network-error`): the cluster is unreachable. */
  error: CommandError | null;
}

export type LaunchPhase =
  | "creating"
  | "starting"
  | "picking_app"
  | "opening_tunnel"
  | "probing"
  | "ready"
  | "cancelling"
  | "cancelled"
  | "failed";

/** The `launch-progress` / `launch-started` events. */
export interface LaunchView {
  launchId: string;
  profileId: string;
  profileName: string;
  phase: LaunchPhase;
  sessionName: string | null;
  sessionId: string | null;
  status: string | null;
  statusInfo: string | null;
  elapsedMs: number;
  app: string | null;
  probeAttempts: number;
  message: string;
  error: CommandError | null;
}

export interface LaunchOptions {
  images: { reference: string; apps: string[] }[];
  /** `allocatable`: whether the preset fits now; null when the cluster could not tell. */
  presets: { name: string; resources: Record<string, string>; allocatable: boolean | null }[];
  projects: string[];
  project: string;
  resourceGroups: string[];
  resourceGroup: string | null;
  folders: string[];
  remaining: Record<string, string>;
  warnings: CommandError[];
}

export interface LaunchInput {
  image: string;
  /** Empty or absent: a generated name. */
  name?: string | undefined;
  /** A cluster preset by name, resolved by the app when the launch starts; `resources` is then unused. */
  preset?: string | undefined;
  /** Custom amounts (`cpu: "2"`, `mem: "4g"`), checked by the app's resource parser. */
  resources?: Record<string, string>;
  project?: string | undefined;
  resourceGroup?: string | undefined;
  mounts?: string[];
  environ?: Record<string, string>;
  app?: string | undefined;
}

export interface QuickStartResult {
  /** Null when an open quick-start notebook was shown again. */
  launchId: string | null;
  profileId: string;
  reused: boolean;
}

/** Show this profile's sessions; fresher lists arrive as `sessions-changed` events. */
export function watchSessions(profileId: string | null): Promise<SessionsSnapshot | null> {
  return call<SessionsSnapshot | null>("watch_sessions", { profileId });
}

export function launchOptions(profileId: string): Promise<LaunchOptions> {
  return call<LaunchOptions>("launch_options", { profileId });
}

/** Starts a launch; returns its id at once (progress follows as `launch-progress`). */
export function launchSession(profileId: string, input: LaunchInput): Promise<string> {
  return call<string>("launch_session", { profileId, input });
}

export function launchStatus(launchId: string): Promise<LaunchView> {
  return call<LaunchView>("launch_status", { launchId });
}

export function cancelLaunch(launchId: string): Promise<void> {
  return call<void>("cancel_launch", { launchId });
}

/** Opens a session's app in a notebook window; a launch id when a tunnel must be opened. */
export function openSession(
  profileId: string,
  sessionId: string,
  appName?: string,
): Promise<string | null> {
  return call<string | null>("open_session", { profileId, sessionId, appName: appName ?? null });
}

/** Opens a running session's home in VS Code over SSH (through the session's own tunnel). */
export function openInVsCode(profileId: string, sessionId: string): Promise<string> {
  return call<string>("open_in_vscode", { profileId, sessionId });
}

export function terminateSession(profileId: string, sessionId: string): Promise<void> {
  return call<void>("terminate_session", { profileId, sessionId });
}

/** Start a notebook with a cluster preset (a `launch` link's Start); the launch to follow. */
export function launchPreset(profileId: string, preset: string): Promise<string> {
  return call<string>("launch_preset", { profileId, preset });
}

/** App traffic through the session's proxy, which resets its network-timeout checker. */
export function keepAlive(profileId: string, sessionId: string): Promise<void> {
  return call<void>("keep_alive", { profileId, sessionId });
}

/** "Keep" on a spend warning: no warning about this idle stretch again. */
export function keepIdleSession(profileId: string, sessionId: string): Promise<void> {
  return call<void>("keep_idle_session", { profileId, sessionId });
}

/** The tray's "Quick start": the default profile's quick-start preset. */
export function quickStart(): Promise<QuickStartResult> {
  return call<QuickStartResult>("quick_start");
}

/** One recorded launch: mirrors `bai_core::live::RecentLaunch`. */
export interface RecentLaunch {
  sessionName: string;
  sessionId: string;
  /** RFC 3339, UTC. */
  launchedAt: string;
  image: string;
  app: string | null;
  resources: Record<string, string | number>;
  project: string;
  resourceGroup: string | null;
  mounts: string[];
  /** The variables' names only. */
  environ: string[];
  /** The session has ended: it can be launched again. */
  ended: boolean;
}

/** `launch_history`: mirrors `bai_core::live::HistoryView`. */
export interface LaunchHistory {
  profileId: string;
  /** Newest first. */
  launches: RecentLaunch[];
  /** Set when a damaged history file was set aside. */
  warning: string | null;
}

/** A profile's recorded launches (every launch's request, no secrets), newest first. */
export function launchHistory(profileId: string): Promise<LaunchHistory> {
  return call<LaunchHistory>("launch_history", { profileId });
}

/** Forgets a profile's recorded launches; resolves to how many. */
export function clearLaunchHistory(profileId: string): Promise<number> {
  return call<number>("clear_launch_history", { profileId });
}

/** Launches an ended session again exactly as before; its launch id (progress follows as events). */
export function launchAgain(profileId: string, session: string): Promise<string> {
  return call<string>("launch_again", { profileId, session });
}

/** The recorded launches that can be launched again (their session has ended). */
export function endedLaunches(history: LaunchHistory | null): RecentLaunch[] {
  return history ? history.launches.filter((l) => l.ended) : [];
}

/** Codes meaning the cluster could not be reached at all. */
export function isUnreachable(code: string): boolean {
  return ["connection-refused", "dns-failure", "network", "timeout", "tls-failure"].includes(code);
}

/** Extra advice the UI adds to some codes. */
export function hintFor(code: string): string | null {
  switch (code) {
    case "keyring-unavailable":
      return "Secrets are kept only in the system keyring. Profiles can still be listed and edited; saving a secret needs the keyring.";
    case "auth-failed":
      return "The server answered 401 Unauthorized.";
    case "connection-refused":
    case "dns-failure":
    case "network":
    case "timeout":
      return "The cluster is unreachable. Check the endpoint, your network or VPN; the list refreshes by itself when it answers again.";
    case "login-required":
      return "Open the profile, choose Edit and enter your password to sign in again (or tick “Remember the password” to sign in by itself).";
    case "otp-required":
      return "Enter the current code from your authenticator app in the one-time code field, then save again.";
    case "totp-registration-required":
      return "Set up two-factor sign-in in the cluster's web UI first; then sign in here with its code.";
    case "active-login-session-exists":
      return "Your account allows only so many sign-ins at once. Signing in here signs out the oldest other one (a browser tab may have to sign in again).";
    case "no-default-profile":
      return "Open a profile and choose “Make default”.";
    case "launch-start-timeout":
      return "The session did not start in time: the cluster may be busy. Try a smaller preset or another resource group.";
    case "launch-session-ended":
      return "The server ended the session while it was starting. Check the image and resources, or ask your administrator.";
    case "launch-app-not-offered":
      return "Pick another app, or an image that offers it.";
    case "session-name-taken":
      return "A session of that name has not ended yet. Open it, or terminate it before launching it again.";
    default:
      return null;
  }
}
