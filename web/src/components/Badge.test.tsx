import { render, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { STATUS_TONE, statusTone, TONE_CLASSES } from "../lib/status";
import { Badge } from "./Badge";

describe("Badge", () => {
  it("takes its colour from the single status map", () => {
    render(
      <>
        <Badge status="active" />
        <Badge status="pending" />
        <Badge status="rejected" />
        <Badge status="disabled" />
        <Badge status="invited" />
        <Badge status="approved" />
      </>,
    );
    expect(screen.getByText("Active").closest("[data-tone]")).toHaveAttribute("data-tone", "emerald");
    expect(screen.getByText("Pending").closest("[data-tone]")).toHaveAttribute("data-tone", "amber");
    expect(screen.getByText("Rejected").closest("[data-tone]")).toHaveAttribute("data-tone", "red");
    expect(screen.getByText("Disabled").closest("[data-tone]")).toHaveAttribute("data-tone", "slate");
    expect(screen.getByText("Invited").closest("[data-tone]")).toHaveAttribute("data-tone", "sky");
    expect(screen.getByText("Approved").closest("[data-tone]")).toHaveAttribute("data-tone", "emerald");
  });

  it("renders the same status the same way wherever it is used", () => {
    const { container } = render(
      <>
        <Badge status="pending" />
        <Badge status="PENDING">Awaiting review</Badge>
      </>,
    );
    const [a, b] = container.querySelectorAll("[data-tone]");
    expect(a!.className).toBe(b!.className);
  });

  it("falls back to a neutral tone for unknown statuses", () => {
    expect(statusTone("something_new")).toBe("slate");
    render(<Badge status="something_new" />);
    expect(screen.getByText("Something new")).toBeInTheDocument();
  });

  it("maps every status to a defined tone", () => {
    for (const tone of Object.values(STATUS_TONE)) expect(TONE_CLASSES[tone]).toBeTruthy();
  });

  it("accepts an explicit tone for non-status labels", () => {
    render(<Badge tone="navy">Admin</Badge>);
    expect(screen.getByText("Admin")).toHaveAttribute("data-tone", "navy");
  });
});
