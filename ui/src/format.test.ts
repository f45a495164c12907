import { describe, expect, it } from "vitest";
import { idleLine, memory, resources, statusBadge } from "./format";

describe("resources", () => {
  it("shows memory in GiB and drops empty slots", () => {
    expect(resources({ cpu: "2", mem: String(4 * 2 ** 30), "cuda.shares": "0" })).toBe("cpu 2 · mem 4 GiB");
  });
  it("says 'no limit' for the API's Infinity", () => {
    expect(resources({ cpu: "Infinity", mem: "Infinity" })).toBe("cpu no limit · mem no limit");
  });
  it("keeps small memory in MiB", () => {
    expect(memory(String(512 * 2 ** 20))).toBe("512 MiB");
  });
});

describe("statusBadge", () => {
  it("shows 26.x and unknown statuses as they are, styled by phase", () => {
    const cases: [string, string, boolean, string][] = [
      ["RUNNING", "running", false, "status phase-running"],
      ["RUNNING_DEGRADED", "running", true, "status phase-running degraded"],
      ["PREEMPTED", "transitional", false, "status phase-transitional"],
      ["RESCHEDULING", "transitional", false, "status phase-transitional"],
      ["DEPRIORITIZING", "transitional", false, "status phase-transitional"],
      ["FROBNICATING", "unknown", false, "status phase-unknown"],
      ["ERROR", "ended", false, "status phase-ended"],
    ];
    for (const [status, phase, degraded, cls] of cases) {
      const b = statusBadge({ status, phase, degraded });
      expect(b.text).toBe(status);
      expect(b.cls).toBe(cls);
    }
    expect(statusBadge({ status: "RUNNING_DEGRADED", phase: "running", degraded: true }).title).toMatch(/problem/);
  });
});

describe("idleLine", () => {
  const check = (label: string, remainingSecs: number | null, kind = "expire_after", resetBy = "traffic") => ({
    label, remainingSecs, kind, resetBy,
  });
  it("names the soonest deadline and says what resets each checker", () => {
    const line = idleLine([
      check("session lifetime", 3000, "expire_after", "nothing"),
      check("no network activity", 540),
      check("low utilization", 60, "grace_period", "real-use"),
    ]);
    expect(line?.text).toBe("Ends in 9 min 0 s (no network activity)");
    expect(line?.title).toContain("session lifetime: 50 min 0 s left; nothing extends this");
    expect(line?.title).toContain("low utilization: 1 min 0 s left; only real work in the session resets this");
  });
  it("shows nothing when the cluster reports no deadline", () => {
    expect(idleLine([])).toBeNull();
    expect(idleLine([check("no network activity", null), check("low utilization", 30, "grace_period")])).toBeNull();
  });
});
