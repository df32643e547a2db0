import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { AppRoutes } from "../../App";
import { callsTo, json, mockFetch, problem, renderApp, staffUser, tokenFor } from "../../test/utils";

describe("TOTP enrolment", () => {
  it("shows a QR code and the secret, then confirms a code", async () => {
    const user = userEvent.setup();
    const noTotp = { ...staffUser, totp_enabled: false };
    const f = mockFetch({
      "POST /api/v1/auth/refresh": () => json(tokenFor(noTotp)),
      "POST /api/v1/auth/totp/enroll": () =>
        json({ secret: "JBSWY3DPEHPK3PXP", otpauth_uri: "otpauth://totp/Niha:ada@niha.example?secret=JBSWY3DPEHPK3PXP&issuer=Niha" }),
      "POST /api/v1/auth/totp/confirm": [() => problem(400, "totp_invalid"), () => json({ ...staffUser, totp_enabled: true })],
      "GET /api/v1/auth/me": () => json({ ...staffUser, totp_enabled: true }),
    });
    renderApp(<AppRoutes />, { route: "/admin/security" });
    await user.click(await screen.findByRole("button", { name: "Set up authenticator app" }));
    expect(await screen.findByRole("img", { name: /qr code/i })).toBeInTheDocument();
    expect(screen.getByTestId("totp-secret")).toHaveTextContent("JBSW Y3DP EHPK 3PXP");

    await user.type(screen.getByLabelText(/6-digit code/i), "111111");
    await user.click(screen.getByRole("button", { name: "Turn on" }));
    expect(await screen.findByText(/that code is not valid/i)).toBeInTheDocument();

    await user.type(screen.getByLabelText(/6-digit code/i), "222222");
    await user.click(screen.getByRole("button", { name: "Turn on" }));
    expect(await screen.findByText(/protected with an authenticator app/i)).toBeInTheDocument();
    const bodies = await Promise.all(callsTo(f, "POST /api/v1/auth/totp/confirm").map((r) => r.json()));
    expect(bodies).toEqual([{ code: "111111" }, { code: "222222" }]);
    await waitFor(() => expect(screen.queryByText(/two-factor authentication is not set up/i)).not.toBeInTheDocument());
  });
});
