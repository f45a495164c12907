import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

const invoke = vi.hoisted(() => vi.fn());
vi.mock("@tauri-apps/api/core", () => ({ invoke }));

import { ApiError, ClientErrorCode, appInfo, toApiError } from "./api.js";

const INFO = {
  version: "0.1.0",
  apiVersions: { oldest: "v4.20190615", newest: "v9.20250722" },
  build: "debug",
};

describe("appInfo", () => {
  beforeEach(() => {
    invoke.mockReset();
    (globalThis as Record<string, unknown>).__TAURI_INTERNALS__ = {};
  });
  afterEach(() => {
    delete (globalThis as Record<string, unknown>).__TAURI_INTERNALS__;
  });

  it("invokes the app_info command and returns its payload", async () => {
    invoke.mockResolvedValueOnce(INFO);
    await expect(appInfo()).resolves.toEqual(INFO);
    expect(invoke).toHaveBeenCalledTimes(1);
    expect(invoke).toHaveBeenCalledWith("app_info", undefined);
  });

  it("turns a command's {code, message} into an ApiError", async () => {
    invoke.mockRejectedValueOnce({ code: "auth-failed", message: "authentication failed: bad key" });
    const err = await appInfo().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ code: "auth-failed", message: "authentication failed: bad key" });
  });

  it("reports an ACL refusal (a plain string) as ipc-rejected", async () => {
    invoke.mockRejectedValueOnce("app_info not allowed on window \"x\"");
    const err = await appInfo().catch((e: unknown) => e);
    expect(err).toMatchObject({
      code: ClientErrorCode.IpcRejected,
      message: "app_info not allowed on window \"x\"",
    });
  });

  it("says so when the page runs outside the desktop app", async () => {
    delete (globalThis as Record<string, unknown>).__TAURI_INTERNALS__;
    invoke.mockRejectedValueOnce(new TypeError("window.__TAURI_INTERNALS__ is undefined"));
    const err = await appInfo().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).code).toBe(ClientErrorCode.NotInApp);
    expect((err as ApiError).message).toMatch(/outside the desktop app/);
  });
});

describe("toApiError", () => {
  it("keeps an ApiError as is", () => {
    const e = new ApiError("not-found", "no such profile");
    expect(toApiError(e)).toBe(e);
  });

  it("wraps unexpected errors inside the app with their detail", () => {
    (globalThis as Record<string, unknown>).__TAURI_INTERNALS__ = {};
    try {
      const e = toApiError(new Error("boom"));
      expect(e.code).toBe(ClientErrorCode.Unknown);
      expect(e.message).toContain("boom");
    } finally {
      delete (globalThis as Record<string, unknown>).__TAURI_INTERNALS__;
    }
  });

  it("does not take an object with a non-string code for a command error", () => {
    (globalThis as Record<string, unknown>).__TAURI_INTERNALS__ = {};
    try {
      expect(toApiError({ code: 7, message: "x" }).code).toBe(ClientErrorCode.Unknown);
    } finally {
      delete (globalThis as Record<string, unknown>).__TAURI_INTERNALS__;
    }
  });
});
