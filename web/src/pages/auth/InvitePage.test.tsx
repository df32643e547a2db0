import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { AppRoutes } from "../../App";
import { callsTo, clientUser, json, mockFetch, problem, renderApp } from "../../test/utils";

const invitation = {
  email: "nora@acme.example",
  name: "Nora Trader",
  role: null,
  entity_role: "trader",
  expires_at: "2030-01-01T00:00:00Z",
};

describe("Invitation page", () => {
  it.each([
    [404, "invitation_not_found", "Invitation not found"],
    [410, "invitation_expired", "This invitation has expired"],
    [409, "invitation_used", "This invitation has already been used"],
    [410, "invitation_revoked", "This invitation was withdrawn"],
  ])("explains a %s %s", async (status, code, title) => {
    mockFetch({
      "POST /api/v1/auth/refresh": () => problem(401, "invalid_refresh_token"),
      "GET /api/v1/auth/invitations/tok": () => problem(status, code),
    });
    renderApp(<AppRoutes />, { route: "/invite/tok" });
    expect(await screen.findByRole("alert")).toHaveTextContent(title);
  });

  it("checks the password policy before sending, then accepts", async () => {
    const user = userEvent.setup();
    const f = mockFetch({
      "POST /api/v1/auth/refresh": () => problem(401, "invalid_refresh_token"),
      "GET /api/v1/auth/invitations/tok": () => json(invitation),
      "POST /api/v1/auth/invitations/tok/accept": () => json({ ...clientUser, email: invitation.email }),
    });
    renderApp(<AppRoutes />, { route: "/invite/tok" });
    expect(await screen.findByLabelText(/full name/i)).toHaveValue("Nora Trader");

    await user.type(screen.getByLabelText(/^password/i), "short");
    await user.type(screen.getByLabelText(/confirm password/i), "short");
    await user.click(screen.getByRole("button", { name: "Create account" }));
    expect(screen.getByText("Use at least 12 characters.")).toBeInTheDocument();

    await user.clear(screen.getByLabelText(/^password/i));
    await user.clear(screen.getByLabelText(/confirm password/i));
    await user.type(screen.getByLabelText(/^password/i), "nora@acme.example");
    await user.type(screen.getByLabelText(/confirm password/i), "nora@acme.example");
    await user.click(screen.getByRole("button", { name: "Create account" }));
    expect(screen.getByText("Your password can't be your email address.")).toBeInTheDocument();
    expect(callsTo(f, "POST /api/v1/auth/invitations/tok/accept")).toHaveLength(0);

    await user.clear(screen.getByLabelText(/^password/i));
    await user.clear(screen.getByLabelText(/confirm password/i));
    await user.type(screen.getByLabelText(/^password/i), "a long and good passphrase");
    await user.type(screen.getByLabelText(/confirm password/i), "a long and good passphrase");
    await user.click(screen.getByRole("button", { name: "Create account" }));
    expect(await screen.findByText("Account activated")).toBeInTheDocument();
    const [accept] = callsTo(f, "POST /api/v1/auth/invitations/tok/accept");
    expect(await accept!.json()).toEqual({ password: "a long and good passphrase", name: "Nora Trader" });
  });

  it("shows the server's weak-password reason on the field", async () => {
    const user = userEvent.setup();
    mockFetch({
      "POST /api/v1/auth/refresh": () => problem(401, "invalid_refresh_token"),
      "GET /api/v1/auth/invitations/tok": () => json(invitation),
      "POST /api/v1/auth/invitations/tok/accept": () =>
        problem(422, "weak_password", { detail: "This password appears in known breaches." }),
    });
    renderApp(<AppRoutes />, { route: "/invite/tok" });
    await user.type(await screen.findByLabelText(/^password/i), "password12345");
    await user.type(screen.getByLabelText(/confirm password/i), "password12345");
    await user.click(screen.getByRole("button", { name: "Create account" }));
    await waitFor(() => expect(screen.getByText("This password appears in known breaches.")).toBeInTheDocument());
    expect(screen.getByLabelText(/^password/i)).toHaveAttribute("aria-invalid", "true");
  });
});
