import { render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { ApiError } from "../lib/errors";
import { ConfirmDialog } from "./ConfirmDialog";

describe("ConfirmDialog", () => {
  it("keeps the confirm button disabled until the exact text is typed", async () => {
    const user = userEvent.setup();
    const onConfirm = vi.fn();
    render(
      <ConfirmDialog open title="Disable user" confirmText="bob@example.com" confirmLabel="Disable" tone="danger" onConfirm={onConfirm} onCancel={() => {}}>
        Bob won't be able to sign in.
      </ConfirmDialog>,
    );
    const dialog = screen.getByRole("alertdialog", { name: "Disable user" });
    expect(dialog).toBeInTheDocument();
    const button = screen.getByRole("button", { name: "Disable" });
    expect(button).toBeDisabled();

    const input = screen.getByLabelText(/type bob@example.com to confirm/i);
    await user.type(input, "bob@example.co");
    expect(button).toBeDisabled();
    await user.type(input, "m");
    expect(button).toBeEnabled();
    await user.click(button);
    expect(onConfirm).toHaveBeenCalledTimes(1);
  });

  it("does not confirm on Enter while the text does not match", async () => {
    const user = userEvent.setup();
    const onConfirm = vi.fn();
    render(<ConfirmDialog open title="Delete" confirmText="DELETE" onConfirm={onConfirm} onCancel={() => {}} />);
    await user.type(screen.getByRole("textbox"), "DELET{Enter}");
    expect(onConfirm).not.toHaveBeenCalled();
    await user.type(screen.getByRole("textbox"), "E{Enter}");
    expect(onConfirm).toHaveBeenCalledTimes(1);
  });

  it("confirms directly when no text is required, and cancels with Escape", async () => {
    const user = userEvent.setup();
    const onConfirm = vi.fn();
    const onCancel = vi.fn();
    render(<ConfirmDialog open title="Enable user" onConfirm={onConfirm} onCancel={onCancel} />);
    expect(screen.queryByRole("textbox")).not.toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "Confirm" }));
    expect(onConfirm).toHaveBeenCalled();
    await user.keyboard("{Escape}");
    expect(onCancel).toHaveBeenCalled();
  });

  it("shows the API's error when confirming fails", async () => {
    const user = userEvent.setup();
    const onConfirm = vi.fn().mockRejectedValue(new ApiError(409, { code: "cannot_modify_self", title: "Conflict" }));
    render(<ConfirmDialog open title="Disable" onConfirm={onConfirm} onCancel={() => {}} />);
    await user.click(screen.getByRole("button", { name: "Confirm" }));
    await waitFor(() => expect(screen.getByRole("alert")).toHaveTextContent("You can't change your own account here."));
  });
});
