import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

const invoke = vi.hoisted(() => vi.fn());
vi.mock("@tauri-apps/api/core", () => ({ invoke }));

import type { AppInfo, Profile, ProfileList } from "../api.js";
import type { AppShell } from "./app-shell.js";
import "./app-shell.js";

const INFO: AppInfo = {
  version: "0.1.0",
  apiVersions: { oldest: "v4.20190615", newest: "v9.20250722" },
  build: "release",
};

const EMPTY: ProfileList = { profiles: [], defaultId: null, warnings: [], keyringError: null };

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

/** Answers each command from `answers`; a function answer is called with the arguments. */
function route(answers: Record<string, unknown>) {
  invoke.mockImplementation(async (cmd: string, args?: Record<string, unknown>) => {
    if (!(cmd in answers)) throw new Error(`unexpected command ${cmd}`);
    const a = answers[cmd];
    return typeof a === "function" ? (a as (x: unknown) => unknown)(args) : a;
  });
}

/** Mounts a shell and waits until it and its children have rendered the first data. */
async function mount(): Promise<AppShell> {
  const shell = document.createElement("bai-app-shell");
  document.body.append(shell);
  await shell.ready;
  await settle(shell);
  return shell;
}

/** Lets every component under `root` finish rendering (nested shadow roots included). */
async function settle(root: Element): Promise<void> {
  for (let i = 0; i < 3; i++) {
    await new Promise((r) => setTimeout(r, 0));
    const all = [root, ...deepAll(root, "*")];
    await Promise.all(all.map((el) => (el as Partial<AppShell>).updateComplete));
  }
}

function deepAll(root: Element, selector: string): Element[] {
  const out: Element[] = [];
  const walk = (node: Element | ShadowRoot) => {
    for (const el of Array.from(node.querySelectorAll("*"))) {
      if (el.matches(selector)) out.push(el);
      if (el.shadowRoot) walk(el.shadowRoot);
    }
  };
  if (root.shadowRoot) walk(root.shadowRoot);
  return out;
}

function deep(root: Element, selector: string): HTMLElement | null {
  return (deepAll(root, selector)[0] as HTMLElement | undefined) ?? null;
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
    route({ app_info: INFO, list_profiles: EMPTY });
    const shell = await mount();
    const header = inShadow(shell, "bai-app-header");
    expect(inShadow(header, "h1")?.textContent).toBe("Backend.AI Launcher");
    expect(inShadow(header, "[data-testid=version]")?.textContent?.trim()).toBe("v0.1.0");
    expect(inShadow(header, "[data-testid=api-range]")?.textContent).toContain(
      "v4.20190615 – v9.20250722",
    );
    expect(invoke).toHaveBeenCalledWith("app_info", undefined);
    expect(deep(shell, "[data-testid=error-banner]")).toBeNull();
  });

  it("marks debug builds and only them", async () => {
    route({ app_info: { ...INFO, build: "debug" }, list_profiles: EMPTY });
    const debugShell = await mount();
    expect(inShadow(inShadow(debugShell, "bai-app-header"), ".debug")?.textContent).toBe(
      "debug build",
    );
    document.body.replaceChildren();

    route({ app_info: INFO, list_profiles: EMPTY });
    const releaseShell = await mount();
    expect(inShadow(inShadow(releaseShell, "bai-app-header"), ".debug")).toBeNull();
  });

  it("offers the demo on first run, and opens the Demo profile it adds", async () => {
    const demo = { ...LAB, id: "d3m0", name: "Demo" };
    let lists = 0;
    route({
      app_info: INFO,
      list_profiles: () => (lists++ === 0 ? EMPTY : { ...EMPTY, profiles: [demo], defaultId: "d3m0" }),
      start_demo: demo,
    });
    const shell = await mount();
    expect(deep(shell, "[data-testid=profiles-empty] h3")?.textContent).toBe("No profiles yet");
    const button = deep(shell, "[data-testid=try-demo]") as HTMLButtonElement;
    expect(button.disabled).toBe(false);
    button.click();
    await settle(shell);
    expect(invoke).toHaveBeenCalledWith("start_demo", undefined);
    expect(deep(shell, "[data-testid=profile-item]")?.dataset["name"]).toBe("Demo");
    expect(deep(shell, "[data-testid=detail-name]")?.textContent).toContain("Demo");
  });

  it("shows a failed demo start inline with its code", async () => {
    route({
      app_info: INFO,
      list_profiles: EMPTY,
      start_demo: () => Promise.reject({ code: "demo-unavailable", message: "cannot start it" }),
    });
    const shell = await mount();
    (deep(shell, "[data-testid=try-demo]") as HTMLButtonElement).click();
    await settle(shell);
    const banner = deep(shell, "bai-profile-list [data-testid=error-banner]") ??
      deep(shell, "[data-testid=error-banner]");
    expect(banner?.getAttribute("role")).toBe("alert");
    expect(deep(shell, "[data-testid=error-message]")?.textContent).toBe("cannot start it");
    expect(deep(shell, "[data-testid=error-code]")?.textContent).toBe("demo-unavailable");
  });

  it("adds a profile through the form; the secret is sent once and leaves the DOM", async () => {
    let lists = 0;
    const added: unknown[] = [];
    route({
      app_info: INFO,
      list_profiles: () => (lists++ === 0 ? EMPTY : { ...EMPTY, profiles: [LAB], defaultId: LAB.id }),
      add_profile: (args: unknown) => {
        added.push(args);
        return LAB;
      },
    });
    const shell = await mount();
    (deep(shell, "[data-testid=add-first-profile]") as HTMLButtonElement).click();
    await settle(shell);
    const set = (sel: string, v: string) => {
      const el = deep(shell, sel) as HTMLInputElement;
      el.value = v;
    };
    set("[data-testid=field-name]", "Lab");
    set("[data-testid=field-endpoint]", "http://127.0.0.1:8081");
    set("[data-testid=field-access-key]", "AKIAIOSFODNN7EXAMPLE");
    set("[data-testid=field-secret]", "s3cret-value-typed");
    expect((deep(shell, "[data-testid=field-secret]") as HTMLInputElement).type).toBe("password");
    (deep(shell, "[data-testid=save-profile]") as HTMLButtonElement).click();
    await settle(shell);
    expect(added).toEqual([
      {
        input: {
          name: "Lab",
          endpoint: "http://127.0.0.1:8081",
          kind: "api",
          accessKey: "AKIAIOSFODNN7EXAMPLE",
          domain: "default",
          project: "",
          resourceGroup: "",
          caCert: "",
          skipTlsVerify: false,
          secret: "s3cret-value-typed",
        },
      },
    ]);
    // Now on the profile page: the secret only masked.
    expect(deep(shell, "[data-testid=detail-secret]")?.textContent?.trim()).toBe("********");
    expect(shell.shadowRoot?.innerHTML ?? "").not.toContain("s3cret-value-typed");
  });

  it("asks for a one-time code when the server wants one, and offers to sign out another session", async () => {
    const WEB: Profile = { ...LAB, kind: "webserver", accessKey: null, email: "me@example.com" };
    const calls: Array<Record<string, unknown>> = [];
    const answers = [
      { code: "otp-required", message: "the server asks for a one-time code" },
      { code: "active-login-session-exists", message: "signed in elsewhere" },
    ];
    route({
      app_info: INFO,
      list_profiles: EMPTY,
      add_profile: (args: unknown) => {
        calls.push((args as { input: Record<string, unknown> }).input);
        const refusal = answers.shift();
        return refusal ? Promise.reject(refusal) : WEB;
      },
    });
    const shell = await mount();
    (deep(shell, "[data-testid=add-first-profile]") as HTMLButtonElement).click();
    await settle(shell);
    (deep(shell, "[data-testid=kind-webserver]") as HTMLInputElement).click();
    await settle(shell);
    const set = (sel: string, v: string) => {
      (deep(shell, sel) as HTMLInputElement).value = v;
    };
    set("[data-testid=field-name]", "Web");
    set("[data-testid=field-endpoint]", "https://web.example.com");
    set("[data-testid=field-email]", "me@example.com");
    set("[data-testid=field-secret]", "pw-typed");
    expect(deep(shell, "[data-testid=field-otp]")).toBeNull();
    (deep(shell, "[data-testid=save-profile]") as HTMLButtonElement).click();
    await settle(shell);
    // Asked for a code: a field for it, and the password is still there to send again.
    expect(calls[0].otp).toBeUndefined();
    expect(deep(shell, "[data-testid=field-otp]")).not.toBeNull();
    expect(deep(shell, "[data-testid=error-code]")?.textContent).toBe("otp-required");
    expect(deep(shell, "[data-testid=sign-out-other]")).toBeNull();
    set("[data-testid=field-otp]", "123456");
    (deep(shell, "[data-testid=save-profile]") as HTMLButtonElement).click();
    await settle(shell);
    expect(calls[1]).toMatchObject({ otp: "123456", secret: "pw-typed", email: "me@example.com" });
    expect(calls[1].forceLogin).toBeUndefined();
    // At the concurrent-login limit: only an explicit click signs the other session out.
    expect(deep(shell, "[data-testid=error-code]")?.textContent).toBe("active-login-session-exists");
    (deep(shell, "[data-testid=sign-out-other]") as HTMLButtonElement).click();
    await settle(shell);
    expect(calls).toHaveLength(3);
    expect(calls[2].forceLogin).toBe(true);
    expect(shell.shadowRoot?.innerHTML ?? "").not.toContain("pw-typed");
  });

  it("an edit shows and keeps the profile's CA and skip-verify settings", async () => {
    const TLS_LAB: Profile = { ...LAB, caCert: "/etc/ssl/private-ca.pem", skipTlsVerify: true };
    const updates: unknown[] = [];
    route({
      app_info: INFO,
      list_profiles: { ...EMPTY, profiles: [TLS_LAB], defaultId: TLS_LAB.id },
      update_profile: (args: unknown) => {
        updates.push(args);
        return { ...TLS_LAB, name: "Lab 2" };
      },
    });
    const shell = await mount();
    (deep(shell, "[data-testid=profile-item]") as HTMLButtonElement).click();
    await settle(shell);
    (deep(shell, "[data-testid=edit-profile]") as HTMLButtonElement).click();
    await settle(shell);
    const ca = deep(shell, "[data-testid=field-ca-cert]") as HTMLInputElement;
    const skip = deep(shell, "[data-testid=field-skip-tls-verify]") as HTMLInputElement;
    expect(ca.value).toBe("/etc/ssl/private-ca.pem");
    expect(skip.checked).toBe(true);
    (deep(shell, "[data-testid=field-name]") as HTMLInputElement).value = "Lab 2";
    (deep(shell, "[data-testid=save-profile]") as HTMLButtonElement).click();
    await settle(shell);
    expect(updates).toHaveLength(1);
    const sent = (updates[0] as { id: string; input: Record<string, unknown> });
    expect(sent.id).toBe(TLS_LAB.id);
    expect(sent.input.name).toBe("Lab 2");
    expect(sent.input.caCert).toBe("/etc/ssl/private-ca.pem");
    expect(sent.input.skipTlsVerify).toBe(true);
  });

  it("shows a keyring error with its hint but still lists the profiles", async () => {
    route({
      app_info: INFO,
      list_profiles: {
        ...EMPTY,
        profiles: [{ ...LAB, hasSecret: false, secretMasked: null }],
        keyringError: { code: "keyring-unavailable", message: "the OS keyring is not available: x" },
      },
    });
    const shell = await mount();
    expect(deep(shell, "[data-testid=profile-item]")).not.toBeNull();
    expect(deep(shell, "[data-testid=error-code]")?.textContent).toBe("keyring-unavailable");
    expect(deep(shell, "[data-testid=error-hint]")?.textContent).toContain("system keyring");
  });

  it("shows the error's message and code when app_info fails, and still renders the layout", async () => {
    route({
      app_info: () => Promise.reject({ code: "internal", message: "The launcher state is unavailable." }),
      list_profiles: EMPTY,
    });
    const shell = await mount();
    const banner = deep(shell, "[data-testid=error-banner]");
    expect(banner?.getAttribute("role")).toBe("alert");
    expect(banner?.textContent).toContain("The launcher state is unavailable.");
    expect(banner?.querySelector("code")?.textContent).toBe("internal");
    expect(inShadow(inShadow(shell, "bai-app-header"), "[data-testid=version]")).toBeNull();
    expect(inShadow(shell, "bai-profile-list")).not.toBeNull();
    expect(inShadow(shell, "main bai-welcome-panel")).not.toBeNull();
  });
});

describe("<bai-app-shell> and backendai-launcher: links", () => {
  beforeEach(() => {
    invoke.mockReset();
    (globalThis as Record<string, unknown>).__TAURI_INTERNALS__ = {};
  });
  afterEach(() => {
    document.body.replaceChildren();
    delete (globalThis as Record<string, unknown>).__TAURI_INTERNALS__;
  });

  const session = (name: string) => ({
    id: `id-${name}`,
    name,
    image: "cr.backend.ai/stable/python:3.9",
    status: "RUNNING",
    phase: "running",
    degraded: false,
    statusInfo: null,
    createdAt: null,
    resources: {},
    apps: ["jupyterlab"],
    ssh: false,
    open: false,
    idle: [],
    accelerated: false,
  });

  /** The shell with LAB and two running sessions; other commands answer null. */
  async function mountWithSessions(): Promise<AppShell> {
    const answers: Record<string, unknown> = {
      app_info: INFO,
      list_profiles: { profiles: [LAB], defaultId: LAB.id, warnings: [], keyringError: null },
      watch_sessions: {
        profileId: LAB.id,
        profileName: LAB.name,
        sessions: [session("first-one"), session("linked-one")],
        error: null,
      },
    };
    invoke.mockImplementation(async (cmd: string) => answers[cmd] ?? null);
    return mount();
  }

  type WithDeepLink = { deepLink(m: unknown): Promise<void> };

  it("an open link shows the profile with that session selected", async () => {
    const shell = await mountWithSessions();
    await (shell as unknown as WithDeepLink).deepLink({
      kind: "open",
      profileId: LAB.id,
      profileName: LAB.name,
      session: "linked-one",
    });
    await settle(shell);
    await settle(shell);
    const selected = deepAll(shell, "[data-testid=session-row][data-selected]");
    expect(selected.map((r) => r.getAttribute("data-name"))).toEqual(["linked-one"]);
    expect(selected[0]?.getAttribute("aria-selected")).toBe("true");
    expect(deep(shell, "[data-testid=selected-missing]")).toBeNull();
  });

  it("says so when the linked session is not in the list", async () => {
    const shell = await mountWithSessions();
    await (shell as unknown as WithDeepLink).deepLink({
      kind: "open",
      profileId: LAB.id,
      profileName: LAB.name,
      session: "gone-away",
    });
    await settle(shell);
    await settle(shell);
    expect(deepAll(shell, "[data-testid=session-row][data-selected]")).toEqual([]);
    expect(deep(shell, "[data-testid=selected-missing]")?.textContent).toContain("gone-away");
  });

  it("a refused link shows its message and code in the banner", async () => {
    const shell = await mountWithSessions();
    await (shell as unknown as WithDeepLink).deepLink({
      kind: "refused",
      error: { code: "link-refused", message: "the link was refused: there is no profile named \"x\"" },
    });
    await settle(shell);
    expect(deep(shell, "[data-testid=error-message]")?.textContent).toContain("the link was refused");
    expect(deep(shell, "[data-testid=error-code]")?.textContent).toBe("link-refused");
  });

  it("a launch link asks first: Cancel starts nothing, Start launches the preset", async () => {
    const shell = await mountWithSessions();
    const ask = { kind: "confirm-launch", profileId: LAB.id, profileName: LAB.name, preset: "gpu-small" };
    await (shell as unknown as WithDeepLink).deepLink(ask);
    await settle(shell);
    expect(deep(shell, "[data-testid=link-launch]")?.textContent).toContain("gpu-small");
    deep(shell, "[data-testid=link-launch-cancel]")?.click();
    await settle(shell);
    expect(deep(shell, "[data-testid=link-launch]")).toBeNull();
    expect(invoke.mock.calls.some(([cmd]) => cmd === "launch_preset")).toBe(false);

    await (shell as unknown as WithDeepLink).deepLink(ask);
    await settle(shell);
    deep(shell, "[data-testid=link-launch-start]")?.click();
    await vi.waitFor(() =>
      expect(invoke).toHaveBeenCalledWith("launch_preset", { profileId: LAB.id, preset: "gpu-small" }),
    );
    await settle(shell);
    expect(deep(shell, "[data-testid=link-launch]")).toBeNull();
  });
});
