import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

const invoke = vi.hoisted(() => vi.fn());
vi.mock("@tauri-apps/api/core", () => ({ invoke }));

import type { LaunchHistory, Profile, RecentLaunch } from "../api.js";
import { type RecentLaunches, askedResources } from "./recent-launches.js";
import "./recent-launches.js";

const LAB: Profile = {
  id: "7d1c",
  name: "Lab",
  endpoint: "http://127.0.0.1:8081",
  kind: "api",
  accessKey: "AKIAIOSFODNN7EXAMPLE",
  email: null,
  rememberPassword: false,
  domain: "default",
  project: null,
  resourceGroup: null,
  quickStart: {},
  skipTlsVerify: false,
  caCert: null,
  isDefault: true,
  hasSecret: true,
  secretMasked: "********",
};

function launch(name: string, ended: boolean): RecentLaunch {
  return {
    sessionName: name,
    sessionId: `id-${name}`,
    launchedAt: new Date(Date.now() - 120_000).toISOString(),
    image: "cr.backend.ai/stable/python:3.9-ubuntu20.04",
    app: "jupyterlab",
    resources: { cpu: 2, mem: "4g" },
    project: "default",
    resourceGroup: null,
    mounts: ["data"],
    environ: ["TZ"],
    ended,
  };
}

async function settle(el: RecentLaunches) {
  for (let i = 0; i < 3; i++) {
    await new Promise((r) => setTimeout(r, 0));
    await el.updateComplete;
  }
}

async function mount(history: LaunchHistory): Promise<RecentLaunches> {
  let current = history;
  invoke.mockImplementation(async (cmd: string) => {
    if (cmd === "launch_history") return current;
    if (cmd === "launch_again") return "launch-9";
    if (cmd === "clear_launch_history") {
      const n = current.launches.length;
      current = { ...current, launches: [] };
      return n;
    }
    throw new Error(`unexpected command ${cmd}`);
  });
  const el = document.createElement("bai-recent-launches");
  el.profile = LAB;
  document.body.append(el);
  await settle(el);
  return el;
}

function rows(el: RecentLaunches): string[] {
  return Array.from(el.shadowRoot?.querySelectorAll("[data-testid=recent-launch]") ?? []).map(
    (r) => r.getAttribute("data-name") ?? "",
  );
}

describe("<bai-recent-launches>", () => {
  beforeEach(() => {
    invoke.mockReset();
    (globalThis as Record<string, unknown>).__TAURI_INTERNALS__ = {};
  });
  afterEach(() => {
    document.body.replaceChildren();
    delete (globalThis as Record<string, unknown>).__TAURI_INTERNALS__;
  });

  it("lists only the launches whose session ended", async () => {
    const el = await mount({
      profileId: LAB.id,
      launches: [launch("nb-running", false), launch("nb-ended", true)],
      warning: null,
    });
    expect(invoke).toHaveBeenCalledWith("launch_history", { profileId: LAB.id });
    expect(rows(el)).toEqual(["nb-ended"]);
    const text = el.shadowRoot?.textContent ?? "";
    expect(text).toContain("cpu 2 · mem 4g");
    expect(text).toContain("folders data");
  });

  it("shows nothing when no launch can be launched again", async () => {
    const el = await mount({ profileId: LAB.id, launches: [launch("a", false)], warning: null });
    expect(el.shadowRoot?.querySelector("[data-testid=recent-launches]")).toBeNull();
  });

  it("launches again by the session's name and shows the launch's progress", async () => {
    const el = await mount({ profileId: LAB.id, launches: [launch("nb-ended", true)], warning: null });
    const seen: unknown[] = [];
    el.addEventListener("navigate", (e) => seen.push((e as CustomEvent).detail));
    (el.shadowRoot?.querySelector("[data-testid=launch-again]") as HTMLButtonElement).click();
    await settle(el);
    expect(invoke).toHaveBeenCalledWith("launch_again", { profileId: LAB.id, session: "nb-ended" });
    expect(seen).toEqual([{ kind: "progress", launchId: "launch-9" }]);
  });

  it("clears the history and hides the list", async () => {
    const el = await mount({ profileId: LAB.id, launches: [launch("nb-ended", true)], warning: null });
    (el.shadowRoot?.querySelector("[data-testid=clear-history]") as HTMLButtonElement).click();
    await settle(el);
    expect(invoke).toHaveBeenCalledWith("clear_launch_history", { profileId: LAB.id });
    expect(rows(el)).toEqual([]);
  });

  it("shows a failed launch again's error (a name still taken)", async () => {
    const el = await mount({ profileId: LAB.id, launches: [launch("nb-ended", true)], warning: null });
    invoke.mockImplementationOnce(async () => {
      throw { code: "session-name-taken", message: "session \"nb-ended\" has not ended yet" };
    });
    (el.shadowRoot?.querySelector("[data-testid=launch-again]") as HTMLButtonElement).click();
    await settle(el);
    expect(el.error?.code).toBe("session-name-taken");
  });

  it("words the asked-for resources as they were asked", () => {
    expect(askedResources({ cpu: 2, mem: "4g", "cuda.shares": "0.5" })).toBe(
      "cpu 2 · mem 4g · cuda.shares 0.5",
    );
    expect(askedResources({})).toBe("");
  });
});
