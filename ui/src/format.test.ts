import { describe, expect, it } from "vitest";
import { memory, resources, statusBadge } from "./format";

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
