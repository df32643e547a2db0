import { describe, expect, it } from "vitest";
import { errorMessage, toApiError, waitText } from "./errors";

describe("errorMessage", () => {
  it("says how long a locked account stays locked, from Retry-After", () => {
    const e = toApiError(429, { code: "account_locked", detail: "Too many failed logins; try again later" }, new Headers({ "Retry-After": "899" }));
    expect(e.retryAfter).toBe(899);
    expect(errorMessage(e)).toBe("This account is temporarily locked after too many failed attempts. Try again in 15 minutes.");
    expect(errorMessage(e, { account_locked: "Locked." })).toBe("Locked. Try again in 15 minutes.");
  });

  it("says 'later' without a usable Retry-After, and never repeats the server's detail", () => {
    for (const value of [undefined, "soon", "0"]) {
      const headers = new Headers(value === undefined ? {} : { "Retry-After": value });
      const e = toApiError(429, { code: "account_locked", detail: "Too many failed logins" }, headers);
      expect(errorMessage(e)).toBe("This account is temporarily locked after too many failed attempts. Try again later.");
    }
    expect(errorMessage(toApiError(429, { code: "rate_limited", detail: "5 per 1 minute" }))).toBe(
      "Too many attempts. Wait a moment and try again.",
    );
  });

  it("words waits", () => {
    expect(waitText(1)).toBe("a minute");
    expect(waitText(60)).toBe("a minute");
    expect(waitText(61)).toBe("2 minutes");
    expect(waitText(900)).toBe("15 minutes");
    expect(waitText(7200)).toBe("2 hours");
  });
});

describe("ApiError field errors", () => {
  it("shows a domain error about one field under that field", () => {
    const e = toApiError(422, { code: "invalid_price", detail: "price: must be a multiple of 0.01", field: "price" });
    expect(e.errors).toEqual([{ field: "price", message: "must be a multiple of 0.01", code: "invalid_price" }]);
  });

  it("keeps validation errors as they are", () => {
    const e = toApiError(422, { code: "validation_error", errors: [{ field: "quantity", message: "required" }], field: "x" });
    expect(e.errors).toEqual([{ field: "quantity", message: "required" }]);
  });
});
