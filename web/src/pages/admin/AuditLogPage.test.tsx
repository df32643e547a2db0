import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { AppRoutes } from "../../App";
import type { AuditEntry } from "../../api/types";
import { callsTo, json, mockFetch, renderApp, staffUser, tokenFor } from "../../test/utils";
import { dayAfter } from "./AuditLogPage";

const entry = (seq: number, action: string, before: Record<string, unknown> | null, after: Record<string, unknown> | null): AuditEntry => ({
  id: `0190a0a0-0000-7000-8000-0000000a${String(seq).padStart(4, "0")}`,
  seq,
  created_at: `2025-03-0${seq}T10:00:00Z`,
  actor_id: staffUser.id,
  actor_email: staffUser.email,
  action,
  resource_type: "user",
  resource_id: "0190a0a0-0000-7000-8000-00000000000b",
  before,
  after,
  ip: "127.0.0.1",
  user_agent: "test",
  hash: `h${seq}`,
});

const invited = entry(1, "user.invite", null, { role: "operations", status: "invited" });
const promoted = entry(2, "user.update", { role: "operations", status: "active" }, { role: "admin", status: "active" });

describe("Audit log", () => {
  it("computes the exclusive end of a date range", () => {
    expect(dayAfter("2025-03-02")).toBe("2025-03-03T00:00:00Z");
    expect(dayAfter("2024-02-29")).toBe("2024-03-01T00:00:00Z");
    expect(dayAfter("2025-12-31")).toBe("2026-01-01T00:00:00Z");
  });

  it("filters, opens an entry's before/after, and the resource's timeline", async () => {
    const user = userEvent.setup();
    const f = mockFetch({
      "POST /api/v1/auth/refresh": () => json(tokenFor(staffUser)),
      "GET /api/v1/admin/audit-logs": () => json({ items: [promoted, invited], next_cursor: null }),
      "GET /api/v1/admin/audit-logs/user/0190a0a0-0000-7000-8000-00000000000b": () => json({ items: [invited, promoted] }),
    });
    renderApp(<AppRoutes />, { route: "/admin/audit" });
    expect(await screen.findByRole("button", { name: /Details of user\.update #2$/ })).toBeInTheDocument();

    await user.type(screen.getByLabelText("To"), "2025-03-02");
    await waitFor(() =>
      expect(callsTo(f, "GET /api/v1/admin/audit-logs").some((r) => new URL(r.url).searchParams.get("date_to") === "2025-03-03T00:00:00Z")).toBe(true),
    );

    await user.click(await screen.findByRole("button", { name: /Details of user\.update #2$/ }));
    const drawer = await screen.findByRole("dialog", { name: "user.update" });
    const before = within(drawer).getByRole("region", { name: "Before" });
    const after = within(drawer).getByRole("region", { name: "After" });
    expect(before).toHaveTextContent('"role": "operations"');
    expect(after).toHaveTextContent('"role": "admin"');
    expect(after.querySelector("[data-changed]")).toHaveTextContent('"role"');

    await user.click(within(drawer).getByRole("button", { name: "View history of this user" }));
    const timeline = await screen.findByRole("list", { name: "Resource history" });
    const items = within(timeline).getAllByRole("listitem");
    expect(items).toHaveLength(2);
    expect(items[0]).toHaveTextContent("user.invite");
    expect(items[1]).toHaveTextContent("changed role");
  });
});
