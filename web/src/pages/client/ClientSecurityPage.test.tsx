import { screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { AppRoutes } from "../../App";
import { clientUser, json, mockFetch, renderApp, tokenFor } from "../../test/utils";

describe("Client security page", () => {
  it("lets a client turn on two-factor authentication", async () => {
    const user = userEvent.setup();
    const noTotp = { ...clientUser, totp_enabled: false };
    mockFetch({
      "POST /api/v1/auth/refresh": () => json(tokenFor(noTotp)),
      "POST /api/v1/auth/totp/enroll": () =>
        json({ secret: "JBSWY3DPEHPK3PXP", otpauth_uri: "otpauth://totp/Niha:carl@client.example?secret=JBSWY3DPEHPK3PXP&issuer=Niha" }),
      "POST /api/v1/auth/totp/confirm": () => json({ ...clientUser, totp_enabled: true }),
      "GET /api/v1/auth/me": () => json({ ...clientUser, totp_enabled: true }),
    });
    renderApp(<AppRoutes />, { route: "/app/security" });
    expect(await screen.findByText(/on top of your password/)).toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "Set up authenticator app" }));
    expect(await screen.findByTestId("totp-secret")).toHaveTextContent("JBSW Y3DP EHPK 3PXP");
    await user.type(screen.getByLabelText(/6-digit code/i), "123456");
    await user.click(screen.getByRole("button", { name: "Turn on" }));
    expect(await screen.findByText(/protected with an authenticator app/i)).toBeInTheDocument();
    expect(screen.getByText(/Lost the device\?/)).toBeInTheDocument();
  });
});
