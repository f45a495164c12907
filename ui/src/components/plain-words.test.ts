// What a desktop user reads: no file names, variable names or raw step names in Settings, the
// profile list's import button or the launch progress view.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

const invoke = vi.hoisted(() => vi.fn());
vi.mock("@tauri-apps/api/core", () => ({ invoke }));

import type { LaunchPhase, LaunchView, Settings } from "../api.js";
import { phaseLabel } from "../format.js";
import "./launch-progress.js";
import "./profile-list.js";
import "./settings-panel.js";

const JARGON = [/\.toml/, /BACKEND_/, /\benv\b/, /`bai /, /_[a-z]/, /\bbai (profile|login|launch)/];

const PHASES: LaunchPhase[] = [
  "creating", "starting", "picking_app", "opening_tunnel", "probing",
  "ready", "cancelling", "cancelled", "failed",
];

async function settle(el: Element): Promise<void> {
  for (let i = 0; i < 3; i++) {
    await new Promise((r) => setTimeout(r, 0));
    await (el as Element & { updateComplete?: Promise<unknown> }).updateComplete;
  }
}

/** The text a user sees in `el` (its shadow root), with titles and placeholders. */
function shown(el: Element): string {
  const root = el.shadowRoot ?? el;
  const titles = [...root.querySelectorAll("[title],[placeholder]")]
    .map((e) => `${e.getAttribute("title") ?? ""} ${e.getAttribute("placeholder") ?? ""}`);
  return `${root.textContent ?? ""} ${titles.join(" ")}`;
}

function expectPlain(text: string) {
  for (const j of JARGON) expect(text, `${j}`).not.toMatch(j);
}

function view(phase: LaunchPhase): LaunchView {
  return {
    launchId: "launch-1", profileId: "p", profileName: "Lab", phase,
    sessionName: "nb", sessionId: null, status: phase === "starting" ? "PENDING" : null,
    statusInfo: null, elapsedMs: 1000, app: null, probeAttempts: 0, message: "", error: null,
  };
}

describe("plain words", () => {
  beforeEach(() => {
    invoke.mockReset();
    (globalThis as Record<string, unknown>).__TAURI_INTERNALS__ = {};
  });
  afterEach(() => {
    document.body.replaceChildren();
    delete (globalThis as Record<string, unknown>).__TAURI_INTERNALS__;
  });

  it("names every launch step in words", () => {
    for (const p of PHASES) {
      const label = phaseLabel(p);
      expect(label, p).not.toContain("_");
      expect(label, p).not.toBe(p);
      expect(label.length, p).toBeGreaterThan(3);
    }
    expect(phaseLabel("opening_tunnel")).toBe("Opening the private tunnel");
    expect(phaseLabel("some_new_step")).toBe("Some new step");
  });

  it("the progress view shows the step and its history in words", async () => {
    const views = [view("creating"), view("starting"), view("picking_app"), view("opening_tunnel")];
    invoke.mockImplementation(async (cmd: string) => {
      if (cmd === "launch_status") return views[views.length - 1];
      throw new Error(`unexpected ${cmd}`);
    });
    const el = document.createElement("bai-launch-progress") as HTMLElement & {
      launchId: string;
    };
    el.launchId = "launch-1";
    document.body.append(el);
    await settle(el);
    const root = el.shadowRoot!;
    expect(root.querySelector("[data-testid=launch-phase]")?.textContent).toBe(
      "Opening the private tunnel",
    );
    expect(root.querySelector("[data-testid=launch-progress]")?.getAttribute("data-phase")).toBe(
      "opening_tunnel",
    );
    expect(root.querySelector("[data-testid=launch-history]")?.textContent).toContain(
      "Opening the private tunnel",
    );
    expectPlain(shown(el));
  });

  it("Settings says where things are kept without file names", async () => {
    const settings: Settings = {
      defaultProfileId: null, quickStart: null, notebookClose: "keep-running", startAtLogin: false,
      idleWarnMinutes: 10, spendGuardMinutes: null, warning: null,
    };
    invoke.mockImplementation(async (cmd: string) => {
      if (cmd === "get_settings") return settings;
      throw new Error(`unexpected ${cmd}`);
    });
    const el = document.createElement("bai-settings-panel");
    document.body.append(el);
    await settle(el);
    const text = shown(el);
    expect(text).toContain("Saved on this computer");
    expect(text).not.toMatch(/\.toml/);
  });

  it("the import button says what it imports, and from where", async () => {
    const el = document.createElement("bai-profile-list") as HTMLElement & {
      data: unknown;
      view: unknown;
    };
    el.data = { profiles: [], defaultId: null, warnings: [], keyringError: null };
    el.view = { kind: "welcome" };
    document.body.append(el);
    await settle(el);
    const button = el.shadowRoot!.querySelector("[data-testid=import-env]");
    expect(button?.textContent?.trim()).toBe("Import from the Backend.AI client");
    expect(button?.getAttribute("title")).toContain("on this computer");
    expectPlain(shown(el));
  });
});
