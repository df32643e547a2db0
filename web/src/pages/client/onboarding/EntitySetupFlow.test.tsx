import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { AppRoutes } from "../../../App";
import type { Entity } from "../../../api/onboarding";
import { callsTo, json, mockFetch, problem, renderApp, tokenFor } from "../../../test/utils";
import { ENTITY_ID, NO_ENTITY, entity, kycStatus, newOwner, owner } from "./fixtures";

function current(): HTMLElement {
  return screen.getByRole("navigation", { name: "Organisation setup progress" });
}

describe("EntitySetupFlow", () => {
  it("walks through the four steps, saving a draft at each, and lists what is missing on submit", async () => {
    const user = userEvent.setup();
    let saved: Entity = entity();
    const f = mockFetch({
      "POST /api/v1/auth/refresh": () => json(tokenFor(newOwner)),
      "GET /api/v1/auth/me": () => json(owner),
      "GET /api/v1/onboarding/entity": [() => problem(404, "entity_not_found"), () => json(saved)],
      "GET /api/v1/kyc/status": [() => json(NO_ENTITY), () => json(kycStatus({ entity_type: "COMPANY" }))],
      "POST /api/v1/onboarding/entity": async (req) => {
        saved = entity({ ...(await req.clone().json()), updated_at: "2026-01-05T10:01:00Z" });
        return json(saved, 201);
      },
      [`PUT /api/v1/onboarding/entity/${ENTITY_ID}`]: async (req) => {
        saved = entity({ ...(await req.clone().json()), updated_at: new Date().toISOString() });
        return json(saved);
      },
      [`POST /api/v1/onboarding/entity/${ENTITY_ID}/submit`]: [
        () =>
          problem(422, "incomplete_entity", {
            detail: "missing",
            missing_fields: ["incorporation_date"],
            missing_documents: ["ubo_declaration"],
          }),
        () => json({ ...saved, status: "PENDING_REVIEW", kyc_status: "SUBMITTED" }),
      ],
    });
    renderApp(<AppRoutes />, { route: "/app/onboarding" });

    // Step 1: type. Nothing is saved until a type is chosen.
    expect(await screen.findByRole("heading", { name: "Type" })).toBeInTheDocument();
    expect(within(current()).getByText("Type").closest("li")).toHaveAttribute("aria-current", "step");
    await user.click(screen.getByRole("button", { name: "Save and continue" }));
    expect(screen.getByText("Choose who will hold the account.")).toBeInTheDocument();
    expect(callsTo(f, "POST /api/v1/onboarding/entity")).toHaveLength(0);
    await user.click(screen.getByRole("radio", { name: /Company/ }));
    await user.click(screen.getByRole("button", { name: "Save and continue" }));

    // Step 2: legal details (the draft exists now).
    expect(await screen.findByRole("heading", { name: "Legal details" })).toBeInTheDocument();
    const [create] = callsTo(f, "POST /api/v1/onboarding/entity");
    expect(await create!.json()).toMatchObject({ entity_type: "COMPANY", legal_name: null });
    await user.type(screen.getByLabelText(/Registered company name/), "Acme Carbon GmbH");
    await user.type(screen.getByLabelText(/Company registration number/), "HRB 1");
    await user.selectOptions(screen.getByLabelText(/Jurisdiction of incorporation/), "DE");
    await user.click(screen.getByRole("button", { name: "Save draft" }));
    expect(await screen.findByText("Draft saved")).toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "Save and continue" }));

    // Step 3: address and contact.
    expect(await screen.findByRole("heading", { name: "Address & contact" })).toBeInTheDocument();
    await user.type(screen.getByLabelText(/Registered address/), "Unter den Linden 1");
    await user.type(screen.getByLabelText(/^City/), "Berlin");
    await user.type(screen.getByLabelText(/Postal code/), "10117");
    await user.selectOptions(screen.getByLabelText(/^Country/), "DE");
    await user.click(screen.getByRole("button", { name: "Save and continue" }));

    // Step 4: review, then submit.
    expect(await screen.findByRole("heading", { name: "Review & submit" })).toBeInTheDocument();
    const puts = callsTo(f, `PUT /api/v1/onboarding/entity/${ENTITY_ID}`);
    expect(puts.length).toBe(3);
    expect(await puts[2]!.json()).toMatchObject({
      legal_name: "Acme Carbon GmbH",
      jurisdiction: "DE",
      address_line1: "Unter den Linden 1",
      country: "DE",
      website: null,
    });
    expect(screen.getByText("Acme Carbon GmbH")).toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "Submit for review" }));
    const missing = await screen.findByRole("alert");
    expect(missing).toHaveTextContent("Your application is not complete yet");
    expect(missing).toHaveTextContent("Date of incorporation");
    expect(missing).toHaveTextContent("UBO declaration (document)");

    await user.click(screen.getByRole("button", { name: "Submit for review" }));
    expect(await screen.findByText("Our compliance team will review your application.")).toBeInTheDocument(); // toast
    expect(screen.queryByRole("button", { name: "Submit for review" })).not.toBeInTheDocument(); // read-only now
    await waitFor(() => expect(callsTo(f, `POST /api/v1/onboarding/entity/${ENTITY_ID}/submit`)).toHaveLength(2));
  }, 20_000);

  it("shows the staff comments when changes are requested, and is read-only once submitted", async () => {
    const comments = "The registration number does not match the extract.";
    mockFetch({
      "POST /api/v1/auth/refresh": () => json(tokenFor(owner)),
      "GET /api/v1/onboarding/entity": () =>
        json(entity({ legal_name: "Acme", status: "CHANGES_REQUESTED", review_comments: comments })),
      "GET /api/v1/kyc/status": () =>
        json(kycStatus({ status: "IN_PROGRESS", entity_status: "CHANGES_REQUESTED", comments: [{ scope: "entity", text: comments, document_id: null, document_type: null, created_at: "2026-01-06T09:00:00Z" }] })),
    });
    renderApp(<AppRoutes />, { route: "/app/onboarding" });
    expect(await screen.findByText("Changes requested by our compliance team")).toBeInTheDocument();
    expect(screen.getAllByText(comments).length).toBeGreaterThanOrEqual(2); // wizard + status panel
    expect(screen.getByRole("button", { name: "Submit for review" })).toBeEnabled();
  });

  it("shows a submitted entity read-only", async () => {
    mockFetch({
      "POST /api/v1/auth/refresh": () => json(tokenFor(owner)),
      "GET /api/v1/onboarding/entity": () => json(entity({ legal_name: "Acme", status: "PENDING_REVIEW", kyc_status: "SUBMITTED" })),
      "GET /api/v1/kyc/status": () => json(kycStatus({ status: "SUBMITTED", entity_status: "PENDING_REVIEW" })),
    });
    renderApp(<AppRoutes />, { route: "/app/onboarding" });
    expect(await screen.findByText("Submitted for review")).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Submit for review" })).not.toBeInTheDocument();
    expect(screen.queryByRole("button", { name: /Edit/ })).not.toBeInTheDocument();
  });
});
