import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { AppRoutes } from "../../App";
import type { Member, User } from "../../api/types";
import { callsTo, clientUser, json, mockFetch, problem, renderApp, tokenFor } from "../../test/utils";

const owner: User = { ...clientUser, entity_role: "owner" };
const MEMBERS = `/api/v1/onboarding/entity/${owner.entity_id}/members`;
const me: Member = {
  id: owner.id,
  email: owner.email,
  name: owner.name,
  entity_role: "owner",
  status: "active",
  created_at: "2025-01-02T10:00:00Z",
  last_login_at: "2025-03-01T09:00:00Z",
};
const dora: Member = {
  ...me,
  id: "0190a0a0-0000-7000-8000-0000000000d0",
  email: "dora@client.example",
  name: "Dora Desk",
  entity_role: "trader",
  status: "invited",
  last_login_at: null,
};

describe("Your team (client account page)", { timeout: 30_000 }, () => {
  it("lists the organisation's members; an owner invites a colleague", async () => {
    const user = userEvent.setup();
    const f = mockFetch({
      "POST /api/v1/auth/refresh": () => json(tokenFor(owner)),
      [`GET ${MEMBERS}`]: [() => json([me]), () => json([me, dora])],
      [`POST ${MEMBERS}`]: async (req) => json({ ...dora, ...(await req.clone().json()) }, 201),
    });
    renderApp(<AppRoutes />, { route: "/app" });
    const team = await screen.findByRole("table", { name: "Team members" });
    expect(await within(team).findByText(owner.email)).toBeInTheDocument();
    expect(within(team).getByText("You")).toBeInTheDocument();

    await user.click(screen.getByRole("button", { name: "Invite a colleague" }));
    const dialog = screen.getByRole("dialog", { name: "Invite a colleague" });
    await user.click(within(dialog).getByRole("button", { name: "Send invitation" }));
    expect(await within(dialog).findByText("Enter a valid email address.")).toBeInTheDocument();
    expect(callsTo(f, `POST ${MEMBERS}`)).toHaveLength(0);

    await user.type(within(dialog).getByLabelText(/Email/), "dora@client.example");
    await user.type(within(dialog).getByLabelText(/Full name/), "Dora Desk");
    await user.selectOptions(within(dialog).getByLabelText("Role"), "viewer");
    await user.click(within(dialog).getByRole("button", { name: "Send invitation" }));
    await waitFor(() => expect(screen.queryByRole("dialog")).not.toBeInTheDocument());
    const [post] = callsTo(f, `POST ${MEMBERS}`);
    expect(await post!.json()).toEqual({ email: "dora@client.example", name: "Dora Desk", entity_role: "viewer" });
    expect(await screen.findByText("Invitation sent")).toBeInTheDocument();
    expect(await within(team).findByText("dora@client.example")).toBeInTheDocument();
    expect(within(team).getByText("Not joined yet")).toBeInTheDocument();
  });

  it("says so when the address already has an account", async () => {
    const user = userEvent.setup();
    mockFetch({
      "POST /api/v1/auth/refresh": () => json(tokenFor(owner)),
      [`GET ${MEMBERS}`]: () => json([me]),
      [`POST ${MEMBERS}`]: () => problem(409, "email_taken", { detail: "A user with this email already exists" }),
    });
    renderApp(<AppRoutes />, { route: "/app" });
    await user.click(await screen.findByRole("button", { name: "Invite a colleague" }));
    const dialog = screen.getByRole("dialog", { name: "Invite a colleague" });
    await user.type(within(dialog).getByLabelText(/Email/), "taken@client.example");
    await user.type(within(dialog).getByLabelText(/Full name/), "Someone Else");
    await user.click(within(dialog).getByRole("button", { name: "Send invitation" }));
    expect(await within(dialog).findByText(/already has a Niha account/)).toBeInTheDocument();
  });

  it("shows traders the team without an invite button, and a load error with a retry", async () => {
    const user = userEvent.setup();
    mockFetch({
      "POST /api/v1/auth/refresh": () => json(tokenFor(clientUser)),
      [`GET ${MEMBERS}`]: [() => problem(503, "unavailable", { detail: "Try again later" }), () => json([me, dora])],
    });
    renderApp(<AppRoutes />, { route: "/app" });
    expect(await screen.findByText("Couldn't load your team")).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Invite a colleague" })).not.toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "Try again" }));
    expect(await screen.findByText("dora@client.example")).toBeInTheDocument();
  });

  it("lets an owner change a colleague's role and remove their access, and shows a refusal", async () => {
    const user = userEvent.setup();
    const active = { ...dora, status: "active" as const, last_login_at: "2025-03-01T09:00:00Z" };
    const MEMBER = `${MEMBERS}/${dora.id}`;
    const f = mockFetch({
      "POST /api/v1/auth/refresh": () => json(tokenFor(owner)),
      [`GET ${MEMBERS}`]: () => json([me, active]),
      [`PATCH ${MEMBER}`]: [
        async (req) => json({ ...active, ...(await req.clone().json()) }),
        () => problem(409, "last_owner", { detail: "An organisation keeps at least one active owner" }),
        async (req) => json({ ...active, ...(await req.clone().json()) }),
      ],
    });
    renderApp(<AppRoutes />, { route: "/app" });
    // no actions on your own row
    await screen.findByText("dora@client.example");
    expect(screen.queryByRole("button", { name: `Remove access of ${owner.email}` })).not.toBeInTheDocument();

    await user.click(screen.getByRole("button", { name: "Change role of dora@client.example" }));
    let dialog = screen.getByRole("dialog", { name: "Change role" });
    await user.selectOptions(within(dialog).getByLabelText("New role"), "owner");
    await user.click(within(dialog).getByRole("button", { name: "Change role" }));
    await waitFor(() => expect(screen.queryByRole("dialog")).not.toBeInTheDocument());
    expect(await screen.findByText("Role changed")).toBeInTheDocument();

    await user.click(screen.getByRole("button", { name: "Remove access of dora@client.example" }));
    dialog = screen.getByRole("alertdialog", { name: "Remove access" });
    await user.click(within(dialog).getByRole("button", { name: "Remove access" }));
    expect(await within(dialog).findByText(/at least one active owner/)).toBeInTheDocument();
    await user.click(within(dialog).getByRole("button", { name: "Remove access" }));
    await waitFor(() => expect(screen.queryByRole("alertdialog")).not.toBeInTheDocument());
    expect(await screen.findByText("Access removed")).toBeInTheDocument();
    const bodies = await Promise.all(callsTo(f, `PATCH ${MEMBER}`).map((r) => r.json()));
    expect(bodies).toEqual([{ entity_role: "owner" }, { status: "disabled" }, { status: "disabled" }]);
  });

  it("shows no member actions to traders", async () => {
    mockFetch({
      "POST /api/v1/auth/refresh": () => json(tokenFor(clientUser)),
      [`GET ${MEMBERS}`]: () => json([me, dora]),
    });
    renderApp(<AppRoutes />, { route: "/app" });
    await screen.findByText("dora@client.example");
    expect(screen.queryByRole("button", { name: /Change role of|Remove access of/ })).not.toBeInTheDocument();
  });
});
