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

/** Every command the shell exposes; keep in step with src-tauri/build.rs. */
type Command = "app_info";

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
