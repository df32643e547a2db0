import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { AppRoutes } from "../../App";
import { callsTo, clientUser, json, mockFetch, problem, renderApp, staffUser, tokenFor } from "../../test/utils";

async function fillCredentials(user: ReturnType<typeof userEvent.setup>) {
  await user.type(await screen.findByLabelText(/^email/i), "ada@niha.example");
  await user.type(screen.getByLabelText(/^password/i), "correct horse battery");
  await user.click(screen.getByRole("button", { name: "Sign in" }));
}

describe("login", () => {
  it("asks for a TOTP code when required, resends with it, and lands in the backoffice", async () => {
    const user = userEvent.setup();
    const f = mockFetch({
      "POST /api/v1/auth/refresh": () => problem(401, "invalid_refresh_token"),
      "POST /api/v1/auth/login": [() => problem(401, "totp_required"), () => json(tokenFor(staffUser))],
      "GET /api/v1/admin/users": () => json({ items: [staffUser], next_cursor: null }),
    });
    renderApp(<AppRoutes />, { route: "/login" });
    await fillCredentials(user);

    const code = await screen.findByLabelText(/authentication code/i);
    expect(screen.getByRole("heading", { name: "Two-factor authentication" })).toBeInTheDocument();
    expect(screen.queryByRole("alert")).not.toBeInTheDocument();
    await user.type(code, "123456");
    await user.click(screen.getByRole("button", { name: "Verify and sign in" }));

    expect(await screen.findByRole("heading", { name: "Users", level: 1 })).toBeInTheDocument();
    const logins = callsTo(f, "POST /api/v1/auth/login");
    expect(logins).toHaveLength(2);
    expect(await logins[0]!.json()).toEqual({ email: "ada@niha.example", password: "correct horse battery" });
    expect(await logins[1]!.json()).toEqual({ email: "ada@niha.example", password: "correct horse battery", totp_code: "123456" });
  });

  it("says when the TOTP code is wrong", async () => {
    const user = userEvent.setup();
    mockFetch({
      "POST /api/v1/auth/refresh": () => problem(401, "invalid_refresh_token"),
      "POST /api/v1/auth/login": [() => problem(401, "totp_required"), () => problem(401, "totp_invalid")],
    });
    renderApp(<AppRoutes />, { route: "/login" });
    await fillCredentials(user);
    await user.type(await screen.findByLabelText(/authentication code/i), "000000");
    await user.click(screen.getByRole("button", { name: "Verify and sign in" }));
    expect(await screen.findByRole("alert")).toHaveTextContent(/that code is not valid/i);
    expect(screen.getByLabelText(/authentication code/i)).toHaveValue("");
  });

  it("shows a clear message for wrong credentials", async () => {
    const user = userEvent.setup();
    mockFetch({
      "POST /api/v1/auth/refresh": () => problem(401, "invalid_refresh_token"),
      "POST /api/v1/auth/login": () => problem(401, "invalid_credentials"),
    });
    renderApp(<AppRoutes />, { route: "/login" });
    await fillCredentials(user);
    expect(await screen.findByRole("alert")).toHaveTextContent("Email or password is incorrect.");
  });

  it("says the account is locked", async () => {
    const user = userEvent.setup();
    mockFetch({
      "POST /api/v1/auth/refresh": () => problem(401, "invalid_refresh_token"),
      "POST /api/v1/auth/login": () => problem(429, "account_locked", { detail: "Try again in 15 minutes." }),
    });
    renderApp(<AppRoutes />, { route: "/login" });
    await fillCredentials(user);
    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent(/locked/i);
    expect(alert).toHaveTextContent(/try again later/i);
  });

  it("sends clients to their account page", async () => {
    const user = userEvent.setup();
    mockFetch({
      "POST /api/v1/auth/refresh": () => problem(401, "invalid_refresh_token"),
      "POST /api/v1/auth/login": () => json(tokenFor(clientUser)),
    });
    renderApp(<AppRoutes />, { route: "/login" });
    await fillCredentials(user);
    expect(await screen.findByRole("heading", { name: "Welcome, Carl", level: 1 })).toBeInTheDocument();
    expect(screen.getAllByText("carl@client.example").length).toBeGreaterThan(0);
  });
});

describe("session", () => {
  it("restores the session from the refresh cookie on start", async () => {
    mockFetch({ "POST /api/v1/auth/refresh": () => json(tokenFor(clientUser)) });
    renderApp(<AppRoutes />, { route: "/app" });
    expect(await screen.findByRole("heading", { name: "Welcome, Carl" })).toBeInTheDocument();
  });

  it("sends a signed-out visitor to sign in, keeping where they wanted to go", async () => {
    const user = userEvent.setup();
    mockFetch({
      "POST /api/v1/auth/refresh": () => problem(401, "invalid_refresh_token"),
      "POST /api/v1/auth/login": () => json(tokenFor(staffUser)),
      "GET /api/v1/admin/audit-logs": () => json({ items: [], next_cursor: null }),
    });
    renderApp(<AppRoutes />, { route: "/admin/audit" });
    await fillCredentials(user);
    expect(await screen.findByRole("heading", { name: "Audit log", level: 1 })).toBeInTheDocument();
  });

  it("says the session expired when a refresh fails mid-session, and returns there after sign-in", async () => {
    const user = userEvent.setup();
    mockFetch({
      "POST /api/v1/auth/refresh": [() => json(tokenFor(staffUser)), () => problem(401, "invalid_refresh_token")],
      "GET /api/v1/admin/audit-logs": [() => problem(401, "token_expired"), () => json({ items: [], next_cursor: null })],
      "POST /api/v1/auth/login": () => json(tokenFor(staffUser, "fresh")),
    });
    renderApp(<AppRoutes />, { route: "/admin/audit" });
    expect(await screen.findByText("Your session expired")).toBeInTheDocument();
    await fillCredentials(user);
    await waitFor(() => expect(screen.getByRole("heading", { name: "Audit log", level: 1 })).toBeInTheDocument());
  });

  it("keeps clients out of the backoffice", async () => {
    mockFetch({ "POST /api/v1/auth/refresh": () => json(tokenFor(clientUser)) });
    renderApp(<AppRoutes />, { route: "/admin/users" });
    expect(await screen.findByRole("heading", { name: "Welcome, Carl" })).toBeInTheDocument();
  });
});
