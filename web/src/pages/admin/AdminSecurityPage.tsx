import { PageHeader } from "../../components";
import { ChangePasswordCard } from "../shared/ChangePasswordCard";
import { TotpCard } from "../shared/TotpCard";

export function AdminSecurityPage() {
  return (
    <>
      <PageHeader title="Security" description="Your sign-in methods." />
      <div className="flex flex-col gap-6">
        <TotpCard description="Staff accounts must use an authenticator app (such as 1Password, Google Authenticator or Authy)." />
        <ChangePasswordCard />
      </div>
    </>
  );
}
