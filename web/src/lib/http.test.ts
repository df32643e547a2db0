import { describe, expect, it, vi } from "vitest";
import { api, unwrap } from "../api/client";
import { callsTo, json, mockFetch, problem, staffUser, tokenFor } from "../test/utils";
import { ApiError } from "./errors";
import { getAccessToken, setSession, subscribeSession } from "./session";

describe("authFetch", () => {
  it("sends the access token", async () => {
    setSession(tokenFor(staffUser, "tok-A"));
    const f = mockFetch({ "GET /api/v1/auth/me": () => json(staffUser) });
    await expect(unwrap(api.GET("/api/v1/auth/me"))).resolves.toEqual(staffUser);
    expect(callsTo(f, "GET /api/v1/auth/me")[0]!.headers.get("Authorization")).toBe("Bearer tok-A");
  });

  it("refreshes once on a 401 and retries the request with the new token", async () => {
    setSession(tokenFor(staffUser, "tok-A"));
    const f = mockFetch({
      "GET /api/v1/auth/me": (req) =>
        req.headers.get("Authorization") === "Bearer tok-B" ? json(staffUser) : problem(401, "token_expired"),
      "POST /api/v1/auth/refresh": () => json(tokenFor(staffUser, "tok-B")),
    });
    await expect(unwrap(api.GET("/api/v1/auth/me"))).resolves.toEqual(staffUser);
    expect(callsTo(f, "POST /api/v1/auth/refresh")).toHaveLength(1);
    expect(callsTo(f, "GET /api/v1/auth/me").map((r) => r.headers.get("Authorization"))).toEqual(["Bearer tok-A", "Bearer tok-B"]);
    expect(getAccessToken()).toBe("tok-B");
  });

  it("replays the request body and idempotency key on the retry", async () => {
    setSession(tokenFor(staffUser, "tok-A"));
    const bodies: string[] = [];
    const keys: (string | null)[] = [];
    mockFetch({
      "POST /api/v1/admin/users/invite": async (req) => {
        bodies.push(await req.text());
        keys.push(req.headers.get("Idempotency-Key"));
        return req.headers.get("Authorization") === "Bearer tok-B"
          ? json({ id: "i1", email: "x@y.z", name: "X", role: "admin", entity_role: null, expires_at: "2025-01-01T00:00:00Z" }, 201)
          : problem(401, "token_expired");
      },
      "POST /api/v1/auth/refresh": () => json(tokenFor(staffUser, "tok-B")),
    });
    await unwrap(api.POST("/api/v1/admin/users/invite", { body: { email: "x@y.z", name: "X", role: "admin" } }));
    expect(bodies).toHaveLength(2);
    expect(bodies[0]).toBe(bodies[1]);
    expect(keys[0]).toBeTruthy();
    expect(keys[0]).toBe(keys[1]);
  });

  it("shares one refresh between concurrent 401s", async () => {
    setSession(tokenFor(staffUser, "tok-A"));
    const f = mockFetch({
      "GET /api/v1/auth/me": (req) =>
        req.headers.get("Authorization") === "Bearer tok-B" ? json(staffUser) : problem(401, "token_expired"),
      "POST /api/v1/auth/refresh": async () => {
        await new Promise((r) => setTimeout(r, 10));
        return json(tokenFor(staffUser, "tok-B"));
      },
    });
    await Promise.all([unwrap(api.GET("/api/v1/auth/me")), unwrap(api.GET("/api/v1/auth/me")), unwrap(api.GET("/api/v1/auth/me"))]);
    expect(callsTo(f, "POST /api/v1/auth/refresh")).toHaveLength(1);
  });

  it("ends the session as expired when the refresh fails", async () => {
    setSession(tokenFor(staffUser, "tok-A"));
    const ended = vi.fn();
    subscribeSession((s, reason) => ended(s, reason));
    mockFetch({
      "GET /api/v1/auth/me": () => problem(401, "token_expired"),
      "POST /api/v1/auth/refresh": () => problem(401, "invalid_refresh_token"),
    });
    await expect(unwrap(api.GET("/api/v1/auth/me"))).rejects.toBeInstanceOf(ApiError);
    expect(getAccessToken()).toBeNull();
    expect(ended).toHaveBeenCalledWith(null, "expired");
  });

  it("does not refresh when the 401 means wrong credentials", async () => {
    setSession(tokenFor(staffUser, "tok-A"));
    const f = mockFetch({
      "POST /api/v1/auth/password": () => problem(401, "invalid_credentials"),
      "POST /api/v1/auth/refresh": () => json(tokenFor(staffUser, "tok-B")),
    });
    const err = await unwrap(api.POST("/api/v1/auth/password", { body: { current_password: "x", new_password: "y" } })).catch((e) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).code).toBe("invalid_credentials");
    expect(callsTo(f, "POST /api/v1/auth/refresh")).toHaveLength(0);
    expect(getAccessToken()).toBe("tok-A");
  });

  it("turns network failures into a network_error ApiError", async () => {
    vi.stubGlobal("fetch", vi.fn().mockRejectedValue(new TypeError("Failed to fetch")));
    const err = await unwrap(api.GET("/api/v1/auth/me")).catch((e) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).code).toBe("network_error");
  });
});
