import { PageHeader } from "../../components";
import { ChangePasswordCard } from "../shared/ChangePasswordCard";
import { TotpCard } from "../shared/TotpCard";

export function ClientSecurityPage() {
  return (
    <>
      <PageHeader title="Security" description="Keep your account safe." />
      <div className="flex flex-col gap-6">
        <TotpCard description="Ask for a code from an authenticator app (such as 1Password, Google Authenticator or Authy) at every sign-in, on top of your password." />
        <ChangePasswordCard />
      </div>
    </>
  );
}
