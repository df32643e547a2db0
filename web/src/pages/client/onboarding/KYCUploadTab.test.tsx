import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { AppRoutes } from "../../../App";
import { callsTo, json, mockFetch, problem, renderApp, tokenFor } from "../../../test/utils";
import { doc, entity, kycStatus, owner } from "./fixtures";
import { KYCUploadTab } from "./KYCUploadTab";

const PNG_BYTES = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

const rejected = doc({
  status: "REJECTED",
  filename: "blurry.png",
  content_type: "image/png",
  rejection_reason: "The photo page is cut off.",
});

const rejectedStatus = kycStatus({
  status: "REJECTED",
  entity_status: "PENDING_REVIEW",
  missing: ["passport"],
  checklist: [
    { document_type: "passport", state: "rejected", accepted_types: ["passport", "national_id"], document_id: rejected.id, rejection_reason: rejected.rejection_reason },
    { document_type: "proof_of_address", state: "pending", accepted_types: ["proof_of_address"], document_id: "d2", rejection_reason: null },
  ],
  documents: [rejected, doc({ id: "d2", document_type: "proof_of_address", filename: "bill.pdf" })],
  comments: [{ scope: "document", text: "The photo page is cut off.", document_id: rejected.id, document_type: "passport", created_at: "2026-01-06T09:00:00Z" }],
});

function routes(extra: Record<string, Parameters<typeof mockFetch>[0][string]> = {}) {
  return mockFetch({
    "POST /api/v1/auth/refresh": () => json(tokenFor(owner)),
    "GET /api/v1/onboarding/entity": () => json(entity({ legal_name: "Erika", entity_type: "INDIVIDUAL", status: "PENDING_REVIEW" })),
    "GET /api/v1/kyc/status": () => json(rejectedStatus),
    ...extra,
  });
}

describe("KYCUploadTab", () => {
  it("shows each required document with its status and the rejection reason, and re-uploads with a preview", async () => {
    const user = userEvent.setup();
    const f = routes({
      "POST /api/v1/kyc/documents/upload": () => json(doc({ id: "d3", filename: "passport-new.png", content_type: "image/png" }), 201),
    });
    renderApp(<AppRoutes />, { route: "/app/onboarding?tab=documents" });

    const slots = await screen.findByRole("list", { name: "Required documents" });
    const passport = within(slots).getAllByRole("listitem")[0]!;
    expect(within(passport).getByText("Rejected")).toBeInTheDocument();
    expect(within(passport).getByRole("alert")).toHaveTextContent("The photo page is cut off.");
    expect(within(passport).getByText("blurry.png")).toBeInTheDocument();
    const address = within(slots).getAllByRole("listitem")[1]!;
    expect(within(address).getByText("Pending")).toBeInTheDocument();
    // a pending document needs no new upload
    expect(within(address).queryByLabelText(/Upload/)).not.toBeInTheDocument();

    // The passport slot also accepts a national ID card.
    expect(within(passport).getByLabelText("Document")).toHaveValue("passport");
    const file = new File([PNG_BYTES], "passport-new.png", { type: "image/png" });
    await user.upload(within(passport).getByLabelText(/Upload a new passport/), file);
    expect(await within(passport).findByRole("img", { name: "Preview of passport-new.png" })).toHaveAttribute("src", expect.stringMatching(/^data:image\/png;base64,/));
    await user.type(within(passport).getByLabelText(/Notes for our reviewers/), "New scan");
    await user.click(within(passport).getByRole("button", { name: "Upload passport" }));

    expect(await screen.findByText("Document uploaded")).toBeInTheDocument();
    const [sent] = callsTo(f, "POST /api/v1/kyc/documents/upload");
    expect(sent!.headers.get("Idempotency-Key")).toBeNull();
    const form = await sent!.formData();
    expect(form.get("document_type")).toBe("passport");
    expect(form.get("client_notes")).toBe("New scan");
    expect((form.get("file") as Blob).size).toBeGreaterThan(0);
    await waitFor(() => expect(callsTo(f, "GET /api/v1/kyc/status").length).toBeGreaterThan(1));
  });

  it("explains a file the server refuses, and refuses too-large files before sending", async () => {
    const user = userEvent.setup();
    const f = routes({
      "POST /api/v1/kyc/documents/upload": () =>
        problem(415, "unsupported_file_type", {
          detail: "Only PDF, JPEG and PNG files are accepted, and this file's content is none of them (whatever its name says).",
        }),
    });
    renderApp(<KYCUploadTab status={rejectedStatus} canEdit />, { route: "/" });
    const input = screen.getByLabelText(/Upload a new passport/);
    await user.upload(input, new File(["<html></html>"], "passport.pdf", { type: "application/pdf" }));
    await user.click(screen.getByRole("button", { name: "Upload passport" }));
    expect(await screen.findByText(/whatever its name says/)).toBeInTheDocument();
    expect(callsTo(f, "POST /api/v1/kyc/documents/upload")).toHaveLength(1);

    await user.click(screen.getByRole("button", { name: "Cancel" }));
    const big = new File([new Uint8Array(10 * 1024 * 1024 + 1)], "huge.pdf", { type: "application/pdf" });
    await user.upload(screen.getByLabelText(/Upload a new passport/), big);
    expect(await screen.findByText("huge.pdf is larger than 10 MB.")).toBeInTheDocument();
    expect(callsTo(f, "POST /api/v1/kyc/documents/upload")).toHaveLength(1);
  });

  it("is read-only for members who are not the owner", () => {
    renderApp(<KYCUploadTab status={rejectedStatus} canEdit={false} />, { route: "/" });
    expect(screen.getByText("blurry.png")).toBeInTheDocument();
    expect(screen.queryByLabelText(/Upload/)).not.toBeInTheDocument();
    expect(screen.queryByRole("button", { name: /Delete/ })).not.toBeInTheDocument();
  });

  it("deletes a pending document after confirmation", async () => {
    const user = userEvent.setup();
    const f = routes({ "DELETE /api/v1/kyc/documents/d2": () => new Response(null, { status: 204 }) });
    renderApp(<KYCUploadTab status={rejectedStatus} canEdit />, { route: "/" });
    await user.click(screen.getByRole("button", { name: "Delete bill.pdf" }));
    const dialog = screen.getByRole("alertdialog", { name: "Delete document" });
    await user.click(within(dialog).getByRole("button", { name: "Delete document" }));
    await waitFor(() => expect(callsTo(f, "DELETE /api/v1/kyc/documents/d2")).toHaveLength(1));
    expect(await screen.findByText("Document deleted")).toBeInTheDocument();
  });
});
