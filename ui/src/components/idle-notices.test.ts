import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

const invoke = vi.hoisted(() => vi.fn());
vi.mock("@tauri-apps/api/core", () => ({ invoke }));

import type { IdleNotice, Profile, Session, SessionsSnapshot } from "../api.js";
import "./idle-notices.js";
import type { IdleNotices } from "./idle-notices.js";

const LAB = { id: "p-lab", name: "Lab" } as Profile;

function session(id: string, resetBy: "traffic" | "nothing"): Session {
  return {
    id, name: `nb-${id}`, image: null, status: "RUNNING", phase: "running", degraded: false,
    statusInfo: null, createdAt: null, resources: {}, apps: ["jupyterlab"], ssh: false, open: false,
    idle: [{ checker: "x", label: "x", remainingSecs: 500, kind: "expire_after", resetBy, underThresholds: null }],
    accelerated: true,
  };
}

const snapshot = (sessions: Session[]): SessionsSnapshot => ({
  profileId: LAB.id, profileName: LAB.name, sessions, error: null,
});

const notice = (kind: IdleNotice["kind"], id: string, profileId = LAB.id): IdleNotice => ({
  kind, title: `title ${id}`, body: `body ${id}`,
  session: { profileId, sessionId: id, sessionName: `nb-${id}` },
});

async function mount(sessions: Session[]): Promise<IdleNotices> {
  const el = document.createElement("bai-idle-notices");
  el.profile = LAB;
  el.snapshot = snapshot(sessions);
  document.body.append(el);
  await el.updateComplete;
  return el;
}

const shown = (el: IdleNotices) =>
  Array.from(el.shadowRoot?.querySelectorAll<HTMLElement>("[data-testid=idle-notice]") ?? []);
const button = (el: IdleNotices, id: string) =>
  el.shadowRoot?.querySelector<HTMLButtonElement>(`[data-testid=${id}]`) ?? null;

describe("idle notices", () => {
  beforeEach(() => {
    invoke.mockReset();
    invoke.mockResolvedValue(undefined);
    (globalThis as Record<string, unknown>).__TAURI_INTERNALS__ = {};
  });
  afterEach(() => {
    document.body.replaceChildren();
    delete (globalThis as Record<string, unknown>).__TAURI_INTERNALS__;
  });

  it("offers Terminate and Keep for an idle accelerated session, and each calls its command", async () => {
    const el = await mount([session("a", "traffic"), session("b", "traffic")]);
    el.take(notice("idle-spend", "a"));
    await el.updateComplete;
    expect(shown(el).map((n) => n.dataset.session)).toEqual(["nb-a"]);
    button(el, "idle-keep")?.click();
    await vi.waitFor(() => expect(invoke).toHaveBeenCalledWith("keep_idle_session", { profileId: LAB.id, sessionId: "a" }));
    await vi.waitFor(() => expect(shown(el)).toHaveLength(0));

    el.take(notice("idle-spend", "b"));
    await el.updateComplete;
    button(el, "idle-terminate")?.click();
    await vi.waitFor(() => expect(invoke).toHaveBeenCalledWith("terminate_session", { profileId: LAB.id, sessionId: "b" }));
  });

  it("offers Keep alive only where traffic resets the checker due first", async () => {
    const el = await mount([session("net", "traffic"), session("life", "nothing")]);
    el.take(notice("idle-warning", "life"));
    await el.updateComplete;
    expect(button(el, "idle-keep-alive")).toBeNull();
    el.take(notice("idle-warning", "net"));
    await el.updateComplete;
    button(el, "idle-keep-alive")?.click();
    await vi.waitFor(() => expect(invoke).toHaveBeenCalledWith("keep_alive", { profileId: LAB.id, sessionId: "net" }));

    // A network checker too, but the lifetime ends first: keeping alive would not help.
    const both = session("both", "traffic");
    both.idle = [
      { checker: "session_lifetime", label: "session lifetime", remainingSecs: 300, kind: "expire_after", resetBy: "nothing", underThresholds: null },
      ...both.idle,
    ];
    el.snapshot = snapshot([both]);
    el.take(notice("idle-warning", "both"));
    await el.updateComplete;
    expect(shown(el)).toHaveLength(1);
    expect(button(el, "idle-keep-alive")).toBeNull();
  });

  it("shows nothing about other profiles' or ended sessions, and keeps only the newest few", async () => {
    const el = await mount([session("a", "traffic")]);
    el.take(notice("idle-warning", "a", "p-other"));
    el.take(notice("idle-warning", "gone"));
    await el.updateComplete;
    expect(shown(el)).toHaveLength(0);
    for (let i = 0; i < 5; i++) el.take(notice("idle-warning", "a"));
    await el.updateComplete;
    expect(shown(el)).toHaveLength(1);
  });
});
