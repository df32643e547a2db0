import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { AppRoutes } from "../../App";
import type { User } from "../../api/types";
import { callsTo, json, mockFetch, problem, renderApp, staffUser, tokenFor } from "../../test/utils";

const bob: User = {
  ...staffUser,
  id: "0190a0a0-0000-7000-8000-00000000000b",
  email: "bob@niha.example",
  name: "Bob Ops",
  role: "operations",
};
const carol = { ...bob, id: "0190a0a0-0000-7000-8000-00000000000c", email: "carol@niha.example", name: "Carol" };

describe("Users page", () => {
  it("lists users with cursor pagination", async () => {
    const user = userEvent.setup();
    const f = mockFetch({
      "POST /api/v1/auth/refresh": () => json(tokenFor(staffUser)),
      "GET /api/v1/admin/users": (req) =>
        new URL(req.url).searchParams.get("cursor") === "c2"
          ? json({ items: [carol], next_cursor: null })
          : json({ items: [staffUser, bob], next_cursor: "c2" }),
    });
    renderApp(<AppRoutes />, { route: "/admin/users" });
    expect(await screen.findByText("bob@niha.example")).toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "Load more" }));
    expect(await screen.findByText("carol@niha.example")).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Load more" })).not.toBeInTheDocument();
    const urls = callsTo(f, "GET /api/v1/admin/users").map((r) => new URL(r.url).searchParams.get("cursor"));
    expect(urls).toEqual([null, "c2"]);
    // no actions on your own row
    expect(screen.queryByRole("button", { name: `Disable ${staffUser.email}` })).not.toBeInTheDocument();
  });

  it("filters by status", async () => {
    const user = userEvent.setup();
    const f = mockFetch({
      "POST /api/v1/auth/refresh": () => json(tokenFor(staffUser)),
      "GET /api/v1/admin/users": () => json({ items: [bob], next_cursor: null }),
    });
    renderApp(<AppRoutes />, { route: "/admin/users" });
    await screen.findByText("bob@niha.example");
    await user.selectOptions(screen.getByLabelText("Status"), "disabled");
    await waitFor(() =>
      expect(callsTo(f, "GET /api/v1/admin/users").some((r) => new URL(r.url).searchParams.get("status") === "disabled")).toBe(true),
    );
  });

  it("disables a user only after their email is typed", async () => {
    const user = userEvent.setup();
    const f = mockFetch({
      "POST /api/v1/auth/refresh": () => json(tokenFor(staffUser)),
      "GET /api/v1/admin/users": () => json({ items: [staffUser, bob], next_cursor: null }),
      "PATCH /api/v1/admin/users/0190a0a0-0000-7000-8000-00000000000b": () => json({ ...bob, status: "disabled" }),
    });
    renderApp(<AppRoutes />, { route: "/admin/users" });
    await user.click(await screen.findByRole("button", { name: "Disable bob@niha.example" }));
    const dialog = screen.getByRole("alertdialog", { name: "Disable user" });
    const confirm = within(dialog).getByRole("button", { name: "Disable user" });
    expect(confirm).toBeDisabled();
    await user.type(within(dialog).getByRole("textbox"), "bob@niha.example");
    await user.click(confirm);
    await waitFor(() => expect(screen.queryByRole("alertdialog")).not.toBeInTheDocument());
    const [patch] = callsTo(f, "PATCH /api/v1/admin/users/0190a0a0-0000-7000-8000-00000000000b");
    expect(await patch!.json()).toEqual({ status: "disabled" });
    expect(await screen.findByText("bob@niha.example disabled")).toBeInTheDocument();
  });

  it("invites a client user with an entity role", async () => {
    const user = userEvent.setup();
    const f = mockFetch({
      "POST /api/v1/auth/refresh": () => json(tokenFor(staffUser)),
      "GET /api/v1/admin/users": () => json({ items: [staffUser], next_cursor: null }),
      "POST /api/v1/admin/users/invite": [
        () => problem(409, "email_taken", { detail: "A user with this email already exists." }),
        async (req) => json({ ...bob, id: "i1", ...(await req.clone().json()), role: null, status: "invited" }, 201),
      ],
    });
    renderApp(<AppRoutes />, { route: "/admin/users" });
    await user.click(await screen.findByRole("button", { name: "Invite user" }));
    const dialog = screen.getByRole("dialog", { name: "Invite a user" });
    await user.type(within(dialog).getByLabelText(/email/i), "nora@acme.example");
    await user.type(within(dialog).getByLabelText(/full name/i), "Nora Trader");
    await user.click(within(dialog).getByRole("radio", { name: /client user/i }));
    await user.selectOptions(within(dialog).getByLabelText("Entity role"), "owner");
    await user.click(within(dialog).getByRole("button", { name: "Send invitation" }));
    expect(await within(dialog).findByRole("alert")).toHaveTextContent("A user with this email already exists.");
    await user.click(within(dialog).getByRole("button", { name: "Send invitation" }));
    await waitFor(() => expect(screen.queryByRole("dialog")).not.toBeInTheDocument());
    const bodies = await Promise.all(callsTo(f, "POST /api/v1/admin/users/invite").map((r) => r.json()));
    expect(bodies[1]).toEqual({ email: "nora@acme.example", name: "Nora Trader", entity_role: "owner" });
  });

  it("shows read-only staff the list without management actions", async () => {
    const compliance: User = { ...staffUser, role: "compliance" };
    mockFetch({
      "POST /api/v1/auth/refresh": () => json(tokenFor(compliance)),
      "GET /api/v1/admin/users": () => json({ items: [compliance, bob], next_cursor: null }),
    });
    renderApp(<AppRoutes />, { route: "/admin/users" });
    expect(await screen.findByText("bob@niha.example")).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Invite user" })).not.toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Disable bob@niha.example" })).not.toBeInTheDocument();
  });

  it("changes a staff user's role", async () => {
    const user = userEvent.setup();
    const f = mockFetch({
      "POST /api/v1/auth/refresh": () => json(tokenFor(staffUser)),
      "GET /api/v1/admin/users": () => json({ items: [staffUser, bob], next_cursor: null }),
      "PATCH /api/v1/admin/users/0190a0a0-0000-7000-8000-00000000000b": () => json({ ...bob, role: "compliance" }),
    });
    renderApp(<AppRoutes />, { route: "/admin/users" });
    await user.click(await screen.findByRole("button", { name: "Change role of bob@niha.example" }));
    const dialog = screen.getByRole("dialog", { name: "Change role" });
    const save = within(dialog).getByRole("button", { name: "Change role" });
    expect(save).toBeDisabled();
    await user.selectOptions(within(dialog).getByLabelText("New role"), "compliance");
    await user.click(save);
    await waitFor(() => expect(screen.queryByRole("dialog")).not.toBeInTheDocument());
    const [patch] = callsTo(f, "PATCH /api/v1/admin/users/0190a0a0-0000-7000-8000-00000000000b");
    expect(await patch!.json()).toEqual({ role: "compliance" });
  });

  it("resets the two-factor of a user who lost their authenticator, with a reason", async () => {
    const user = userEvent.setup();
    const bobWith2fa = { ...bob, totp_enabled: true };
    const f = mockFetch({
      "POST /api/v1/auth/refresh": () => json(tokenFor(staffUser)),
      "GET /api/v1/admin/users": () => json({ items: [staffUser, bobWith2fa, { ...carol, totp_enabled: false }], next_cursor: null }),
      "POST /api/v1/admin/users/0190a0a0-0000-7000-8000-00000000000b/reset-totp": () => json({ ...bob, totp_enabled: false }),
    });
    renderApp(<AppRoutes />, { route: "/admin/users" });
    await screen.findByText("carol@niha.example");
    // only users with two-factor on can have it reset
    expect(screen.queryByRole("button", { name: "Reset two-factor of carol@niha.example" })).not.toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "Reset two-factor of bob@niha.example" }));
    const dialog = screen.getByRole("alertdialog", { name: "Reset two-factor authentication" });
    await user.click(within(dialog).getByRole("button", { name: "Reset two-factor" }));
    expect(await within(dialog).findByText(/at least 3 characters/)).toBeInTheDocument();
    expect(callsTo(f, "POST /api/v1/admin/users/0190a0a0-0000-7000-8000-00000000000b/reset-totp")).toHaveLength(0);
    await user.type(within(dialog).getByLabelText(/Reason/), "Lost phone, called back on the number on file");
    await user.click(within(dialog).getByRole("button", { name: "Reset two-factor" }));
    await waitFor(() => expect(screen.queryByRole("alertdialog")).not.toBeInTheDocument());
    const [post] = callsTo(f, "POST /api/v1/admin/users/0190a0a0-0000-7000-8000-00000000000b/reset-totp");
    expect(await post!.json()).toEqual({ reason: "Lost phone, called back on the number on file" });
    expect(await screen.findByText("Two-factor reset")).toBeInTheDocument();
  });
});
