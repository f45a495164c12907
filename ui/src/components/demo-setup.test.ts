import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

const invoke = vi.hoisted(() => vi.fn());
vi.mock("@tauri-apps/api/core", () => ({ invoke }));

import type { DemoSetup, Profile, ProfileList } from "../api.js";
import "./profile-list.js";
import type { ProfileList as ProfileListElement } from "./profile-list.js";

const EMPTY: ProfileList = { profiles: [], defaultId: null, warnings: [], keyringError: null };
const VENV = "/home/u/.local/share/ai.backend.launcher/demo-jupyter";
const MISSING: DemoSetup = {
  jupyterlab: null,
  source: null,
  explanation: "The demo opens its notebooks in JupyterLab, which is not installed on this computer.",
  commands: [`python3 -m venv ${VENV}`, `${VENV}/bin/pip install jupyterlab`],
  venvDir: VENV,
  canInstall: true,
  install: { phase: "idle", lines: [], error: null },
};

function deepAll(root: Element, selector: string): HTMLElement[] {
  const out: HTMLElement[] = [];
  const walk = (node: Element | ShadowRoot) => {
    for (const el of Array.from(node.querySelectorAll("*"))) {
      if (el.matches(selector)) out.push(el as HTMLElement);
      if (el.shadowRoot) walk(el.shadowRoot);
    }
  };
  if (root.shadowRoot) walk(root.shadowRoot);
  return out;
}
const deep = (root: Element, selector: string) => deepAll(root, selector)[0] ?? null;

/** Waits (really: the panel polls on a timer) until `check` holds. */
async function until(root: Element, check: () => boolean, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 20));
    await Promise.all([root, ...deepAll(root, "*")].map((el) => (el as Partial<ProfileListElement>).updateComplete));
  }
}

describe("Try the demo without JupyterLab", () => {
  beforeEach(() => {
    invoke.mockReset();
    (globalThis as Record<string, unknown>).__TAURI_INTERNALS__ = {};
  });
  afterEach(() => {
    document.body.replaceChildren();
    delete (globalThis as Record<string, unknown>).__TAURI_INTERNALS__;
  });

  it("explains what to install, installs it on request with its progress, then starts the demo", async () => {
    const demo = { id: "d3m0", name: "Demo" } as Profile;
    let setup: DemoSetup = MISSING;
    let starts = 0;
    invoke.mockImplementation(async (cmd: string, args?: Record<string, unknown>) => {
      switch (cmd) {
        case "start_demo":
          if (starts++ === 0) {
            throw { code: "demo-needs-jupyterlab", message: MISSING.explanation };
          }
          return demo;
        case "demo_setup":
          return setup;
        case "install_demo_jupyter": {
          expect(args).toEqual({ consent: true });
          const running: DemoSetup = {
            ...MISSING,
            install: { phase: "installing", lines: ["$ pip install jupyterlab", "Collecting jupyterlab"], error: null },
          };
          // The next look finds it installed.
          setup = {
            ...MISSING,
            jupyterlab: `${VENV}/bin/jupyter`,
            source: "appVenv",
            explanation: null,
            install: { phase: "done", lines: ["Successfully installed jupyterlab"], error: null },
          };
          return running;
        }
        default:
          throw new Error(`unexpected command ${cmd}`);
      }
    });
    const list = document.createElement("bai-profile-list");
    list.data = EMPTY;
    const changed: unknown[] = [];
    list.addEventListener("profiles-changed", (e) => changed.push((e as CustomEvent).detail));
    document.body.append(list);
    await list.updateComplete;

    deep(list, "[data-testid=try-demo]")!.click();
    await until(list, () => deep(list, "[data-testid=demo-install-commands]") !== null);
    // The panel explains; no error banner with a code for this.
    expect(deep(list, "[data-testid=error-banner]")).toBeNull();
    expect(deep(list, "[data-testid=demo-explanation]")?.textContent).toContain("not installed");
    expect(deep(list, "[data-testid=demo-install-commands]")?.textContent).toBe(MISSING.commands.join("\n"));
    expect(invoke).not.toHaveBeenCalledWith("install_demo_jupyter", expect.anything());

    deep(list, "[data-testid=install-jupyter]")!.click();
    await until(list, () => deep(list, "[data-testid=demo-install-log]") !== null);
    expect(deep(list, "[data-testid=demo-install-status]")?.textContent).toContain("installing JupyterLab");
    expect(deep(list, "[data-testid=demo-install-log]")?.textContent).toContain("Collecting jupyterlab");

    // Once it is there, the demo starts by itself (the user asked for the demo).
    await until(list, () => changed.length === 1);
    expect(changed[0]).toEqual(demo);
    expect(starts).toBe(2);
    await until(list, () => deep(list, "bai-demo-setup") === null);
  });

  it("shows the commands only, with no install button, when the launcher cannot install it", async () => {
    invoke.mockImplementation(async (cmd: string) => {
      if (cmd === "start_demo") throw { code: "demo-needs-jupyterlab", message: "x" };
      if (cmd === "demo_setup") return { ...MISSING, canInstall: false };
      throw new Error(`unexpected command ${cmd}`);
    });
    const list = document.createElement("bai-profile-list");
    list.data = EMPTY;
    document.body.append(list);
    await list.updateComplete;
    deep(list, "[data-testid=try-demo]")!.click();
    await until(list, () => deep(list, "[data-testid=demo-install-commands]") !== null);
    expect(deep(list, "[data-testid=install-jupyter]")).toBeNull();
    expect(deep(list, "bai-demo-setup")?.shadowRoot?.textContent).toContain("sudo apt install python3-venv");
  });
});
