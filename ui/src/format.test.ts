import { describe, expect, it } from "vitest";
import { memory, resources } from "./format";

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
