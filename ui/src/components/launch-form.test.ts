import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

const invoke = vi.hoisted(() => vi.fn());
vi.mock("@tauri-apps/api/core", () => ({ invoke }));

import type { LaunchOptions, Profile } from "../api.js";
import { type LaunchForm, fitNote } from "./launch-form.js";
import "./launch-form.js";

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

function options(fits: (boolean | null)[]): LaunchOptions {
  return {
    images: [{ reference: "cr.backend.ai/stable/python:3.9-ubuntu20.04", apps: ["jupyterlab"] }],
    presets: fits.map((allocatable, i) => ({
      name: `p${i}`,
      resources: { cpu: "2", mem: "4294967296" },
      allocatable,
    })),
    projects: ["default"],
    project: "default",
    resourceGroups: [],
    resourceGroup: null,
    folders: [],
    remaining: {},
    warnings: [],
  };
}

async function mount(o: LaunchOptions): Promise<LaunchForm> {
  invoke.mockImplementation(async (cmd: string) => {
    if (cmd === "launch_options") return o;
    if (cmd === "launch_session") return "launch-1";
    throw new Error(`unexpected command ${cmd}`);
  });
  const form = document.createElement("bai-launch-form");
  form.profile = LAB;
  document.body.append(form);
  for (let i = 0; i < 3; i++) {
    await new Promise((r) => setTimeout(r, 0));
    await form.updateComplete;
  }
  return form;
}

function presetLines(form: LaunchForm): string[] {
  return Array.from(form.shadowRoot?.querySelectorAll("[name=preset] option") ?? []).map(
    (o) => o.textContent?.replace(/\s+/g, " ").trim() ?? "",
  );
}

describe("<bai-launch-form> presets", () => {
  beforeEach(() => {
    invoke.mockReset();
    (globalThis as Record<string, unknown>).__TAURI_INTERNALS__ = {};
  });
  afterEach(() => {
    document.body.replaceChildren();
    delete (globalThis as Record<string, unknown>).__TAURI_INTERNALS__;
  });

  it("says when a preset's fit is unknown instead of showing it as fitting", () => {
    expect(fitNote(true)).toBe("");
    expect(fitNote(false)).toBe(" (not available now)");
    expect(fitNote(null)).toBe(" (fit unknown)");
  });

  it("marks each preset by its fit and picks one known to fit", async () => {
    const form = await mount(options([false, null, true]));
    const lines = presetLines(form);
    expect(lines[0]).toMatch(/^p0 — .*\(not available now\)$/);
    expect(lines[1]).toMatch(/^p1 — .*\(fit unknown\)$/);
    expect(lines[2]).toMatch(/^p2 — cpu 2 · mem 4 GiB$/);
    expect(form.preset).toBe("p2");
  });

  it("falls back to a preset of unknown fit, never to one that does not fit", async () => {
    expect((await mount(options([false, null]))).preset).toBe("p1");
    document.body.replaceChildren();
    expect((await mount(options([false]))).preset).toBe("__custom__");
  });

  it("sends a preset by name for the app to resolve, not its slots", async () => {
    const form = await mount(options([true]));
    form.shadowRoot?.querySelector("form")?.dispatchEvent(new Event("submit", { cancelable: true }));
    await new Promise((r) => setTimeout(r, 0));
    const call = invoke.mock.calls.find(([cmd]) => cmd === "launch_session");
    expect(call?.[1]).toMatchObject({ profileId: "7d1c", input: { preset: "p0", resources: {} } });
  });
});
