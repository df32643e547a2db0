import { describe, expect, it } from "vitest";
import { localInputToIso } from "./shared";

describe("localInputToIso", () => {
  it("keeps the minutes when they are :00 (the hour or midnight)", () => {
    expect(localInputToIso("2026-11-30T00:00")).toBe("2026-11-30T00:00:00Z");
    expect(localInputToIso("2026-11-30T14:00")).toBe("2026-11-30T14:00:00Z");
  });
  it("adds seconds to HH:MM and keeps given seconds", () => {
    expect(localInputToIso("2025-03-02T14:05")).toBe("2025-03-02T14:05:00Z");
    expect(localInputToIso("2025-03-02T14:05:30")).toBe("2025-03-02T14:05:30Z");
  });
});
