import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

const invoke = vi.hoisted(() => vi.fn());
vi.mock("@tauri-apps/api/core", () => ({ invoke }));

import type { AppInfo } from "../api.js";
import type { AppShell } from "./app-shell.js";
import "./app-shell.js";
import { DEMO_UNAVAILABLE_HINT } from "./profile-list.js";

const INFO: AppInfo = {
  version: "0.1.0",
  apiVersions: { oldest: "v4.20190615", newest: "v9.20250722" },
  build: "release",
};

/** Mounts a shell and waits until it and its children have rendered the app_info result. */
async function mount(): Promise<AppShell> {
  const shell = document.createElement("bai-app-shell");
  document.body.append(shell);
  await shell.ready;
  await shell.updateComplete;
  const header = shell.shadowRoot?.querySelector("bai-app-header");
  await header?.updateComplete;
  return shell;
}

function inShadow(root: Element | null | undefined, selector: string): Element | null {
  return root?.shadowRoot?.querySelector(selector) ?? null;
}

describe("<bai-app-shell>", () => {
  beforeEach(() => {
    invoke.mockReset();
    (globalThis as Record<string, unknown>).__TAURI_INTERNALS__ = {};
  });
  afterEach(() => {
    document.body.replaceChildren();
    delete (globalThis as Record<string, unknown>).__TAURI_INTERNALS__;
  });

  it("shows the product name and the version from app_info", async () => {
    invoke.mockResolvedValueOnce(INFO);
    const shell = await mount();
    const header = inShadow(shell, "bai-app-header");
    expect(inShadow(header, "h1")?.textContent).toBe("Backend.AI Launcher");
    expect(inShadow(header, "[data-testid=version]")?.textContent?.trim()).toBe("v0.1.0");
    expect(inShadow(header, "[data-testid=api-range]")?.textContent).toContain(
      "v4.20190615 – v9.20250722",
    );
    expect(invoke).toHaveBeenCalledWith("app_info", undefined);
    expect(inShadow(shell, "[data-testid=error-banner]")).toBeNull();
  });

  it("marks debug builds and only them", async () => {
    invoke.mockResolvedValueOnce({ ...INFO, build: "debug" });
    const debugShell = await mount();
    expect(inShadow(inShadow(debugShell, "bai-app-header"), ".debug")?.textContent).toBe(
      "debug build",
    );
    document.body.replaceChildren();

    invoke.mockResolvedValueOnce(INFO);
    const releaseShell = await mount();
    expect(inShadow(inShadow(releaseShell, "bai-app-header"), ".debug")).toBeNull();
  });

  it("shows the profiles empty state with a disabled demo button that explains itself", async () => {
    invoke.mockResolvedValueOnce(INFO);
    const shell = await mount();
    const list = inShadow(shell, "bai-profile-list");
    const empty = inShadow(list, "[data-testid=profiles-empty]");
    expect(empty?.querySelector("h3")?.textContent).toBe("No profiles yet");

    const demo = inShadow(list, "[data-testid=try-demo]") as HTMLButtonElement | null;
    expect(demo?.textContent?.trim()).toBe("Try the demo");
    expect(demo?.disabled).toBe(true);
    const hintId = demo?.getAttribute("aria-describedby");
    expect(hintId).toBeTruthy();
    expect(list?.shadowRoot?.getElementById(hintId ?? "")?.textContent).toBe(DEMO_UNAVAILABLE_HINT);
  });

  it("shows the error's message and code when app_info fails, and still renders the layout", async () => {
    invoke.mockRejectedValueOnce({ code: "internal", message: "The launcher state is unavailable." });
    const shell = await mount();
    const banner = inShadow(shell, "[data-testid=error-banner]");
    expect(banner?.getAttribute("role")).toBe("alert");
    expect(banner?.textContent).toContain("The launcher state is unavailable.");
    expect(banner?.querySelector("code")?.textContent).toBe("internal");
    expect(inShadow(inShadow(shell, "bai-app-header"), "[data-testid=version]")).toBeNull();
    expect(inShadow(shell, "bai-profile-list")).not.toBeNull();
    expect(inShadow(shell, "main bai-welcome-panel")).not.toBeNull();
  });
});
