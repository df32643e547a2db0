import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { AppRoutes } from "../../../App";
import type { ContactRequest, EntityDetail } from "../../../api/onboarding";
import { callsTo, json, mockFetch, renderApp, staffUser, tokenFor } from "../../../test/utils";
import { doc, entity, ENTITY_ID } from "../../client/onboarding/fixtures";

const compliance = { ...staffUser, role: "compliance" as const };

function detail(overrides: Partial<EntityDetail> = {}): EntityDetail {
  return {
    ...entity({ legal_name: "Acme Carbon GmbH", status: "PENDING_REVIEW", kyc_status: "SUBMITTED", registration_number: "HRB 1" }),
    members: [],
    documents: [doc({ id: "d1", filename: "pass.pdf" })],
    kyc: {
      required: ["passport"],
      missing: [],
      checklist: [{ document_type: "passport", state: "pending", accepted_types: ["passport", "national_id"], document_id: "d1", rejection_reason: null }],
    },
    history: [
      { seq: 1, at: "2026-01-05T10:00:00Z", action: "entity_created", actor_email: "olivia@acme.example", resource_type: "entity", resource_id: ENTITY_ID, details: {} },
      { seq: 2, at: "2026-01-05T11:00:00Z", action: "entity_submitted", actor_email: "olivia@acme.example", resource_type: "entity", resource_id: ENTITY_ID, details: {} },
    ],
    ...overrides,
  };
}

describe("Entity review", () => {
  it("rejects a document with a reason shown to the client", async () => {
    const user = userEvent.setup();
    let current = detail();
    const f = mockFetch({
      "POST /api/v1/auth/refresh": () => json(tokenFor(compliance)),
      [`GET /api/v1/admin/entities/${ENTITY_ID}`]: () => json(current),
      "POST /api/v1/admin/kyc/documents/d1/reject": () => {
        current = detail({
          documents: [doc({ id: "d1", filename: "pass.pdf", status: "REJECTED", rejection_reason: "Cut off" })],
          kyc: { ...current.kyc, missing: ["passport"], checklist: [{ ...current.kyc.checklist[0]!, state: "rejected" }] },
        });
        return json(current.documents[0]);
      },
    });
    renderApp(<AppRoutes />, { route: `/admin/entities/${ENTITY_ID}` });
    expect(await screen.findByRole("heading", { name: /Acme Carbon GmbH/ })).toBeInTheDocument();
    expect(screen.getByRole("list", { name: "Entity history" })).toHaveTextContent("Submitted for review");
    expect(screen.getByRole("button", { name: "Approve entity" })).toBeDisabled();

    await user.click(screen.getByRole("button", { name: "Reject Passport pass.pdf" }));
    const dialog = screen.getByRole("dialog", { name: "Reject document" });
    const confirm = within(dialog).getByRole("button", { name: "Reject document" });
    expect(confirm).toBeDisabled();
    await user.type(within(dialog).getByLabelText(/Reason/), "Cut off");
    await user.click(confirm);
    await waitFor(() => expect(screen.queryByRole("dialog")).not.toBeInTheDocument());
    const [reject] = callsTo(f, "POST /api/v1/admin/kyc/documents/d1/reject");
    expect(await reject!.json()).toEqual({ reason: "Cut off" });
    expect(await screen.findByText("Rejected: Cut off")).toBeInTheDocument();

  });

  it("approves a pending document", async () => {
    const user = userEvent.setup();
    const f = mockFetch({
      "POST /api/v1/auth/refresh": () => json(tokenFor(compliance)),
      [`GET /api/v1/admin/entities/${ENTITY_ID}`]: () => json(detail()),
      "POST /api/v1/admin/kyc/documents/d1/approve": () => json(doc({ id: "d1", status: "APPROVED" })),
    });
    renderApp(<AppRoutes />, { route: `/admin/entities/${ENTITY_ID}` });
    await user.click(await screen.findByRole("button", { name: "Approve Passport pass.pdf" }));
    expect(await screen.findByText("Passport approved")).toBeInTheDocument();
    expect(callsTo(f, "POST /api/v1/admin/kyc/documents/d1/approve")).toHaveLength(1);
  });

  it("approves the entity once every required document is approved", async () => {
    const user = userEvent.setup();
    const approved = detail({
      documents: [doc({ id: "d2", filename: "new.pdf", status: "APPROVED" })],
      kyc: {
        required: ["passport"],
        missing: [],
        checklist: [{ document_type: "passport", state: "approved", accepted_types: ["passport", "national_id"], document_id: "d2", rejection_reason: null }],
      },
    });
    const f = mockFetch({
      "POST /api/v1/auth/refresh": () => json(tokenFor(compliance)),
      [`GET /api/v1/admin/entities/${ENTITY_ID}`]: () => json(approved),
      [`POST /api/v1/admin/entities/${ENTITY_ID}/approve`]: () => json({ ...approved, status: "APPROVED", kyc_status: "APPROVED" }),
    });
    renderApp(<AppRoutes />, { route: `/admin/entities/${ENTITY_ID}` });
    await user.click(await screen.findByRole("button", { name: "Approve entity" }));
    const dialog = screen.getByRole("dialog", { name: "Approve entity" });
    await user.click(within(dialog).getByRole("button", { name: "Approve entity" }));
    expect(await screen.findByText("Entity approved")).toBeInTheDocument();
    expect(callsTo(f, `POST /api/v1/admin/entities/${ENTITY_ID}/approve`)).toHaveLength(1);
  });

  it("invites a prospect from a contact request", async () => {
    const user = userEvent.setup();
    const request: ContactRequest = {
      id: "r1",
      name: "Mei Chen",
      email: "mei@green.example",
      company: "Green Energy Ltd",
      country: "CN",
      message: "We want CEA",
      interest: "CEA",
      status: "NEW",
      notes: null,
      ip: "127.0.0.1",
      handled_by: null,
      invited_user_id: null,
      invited_at: null,
      created_at: "2026-01-05T10:00:00Z",
      updated_at: "2026-01-05T10:00:00Z",
    };
    const f = mockFetch({
      "POST /api/v1/auth/refresh": () => json(tokenFor(staffUser)),
      "GET /api/v1/admin/contact-requests": () => json({ items: [request], next_cursor: null }),
      "POST /api/v1/admin/contact-requests/r1/invite": () =>
        json({ ...request, status: "CONVERTED", invited_user_id: "u1", invited_at: "2026-01-05T11:00:00Z" }),
    });
    renderApp(<AppRoutes />, { route: "/admin/contact-requests" });
    await user.click(await screen.findByRole("button", { name: /Green Energy Ltd/ }));
    const drawer = screen.getByRole("dialog", { name: "Green Energy Ltd" });
    expect(within(drawer).getByText("We want CEA")).toBeInTheDocument();
    await user.click(within(drawer).getByRole("button", { name: "Invite" }));
    await user.click(within(drawer).getByRole("button", { name: "Send invitation" }));
    expect(await screen.findByText("Invitation sent to mei@green.example")).toBeInTheDocument();
    const [invite] = callsTo(f, "POST /api/v1/admin/contact-requests/r1/invite");
    expect(await invite!.json()).toEqual({});
    expect(within(drawer).getByRole("heading", { name: "Invitation sent" })).toBeInTheDocument();
  });
});
