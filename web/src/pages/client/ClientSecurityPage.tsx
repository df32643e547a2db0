import { PageHeader } from "../../components";
import { ChangePasswordCard } from "../shared/ChangePasswordCard";

export function ClientSecurityPage() {
  return (
    <>
      <PageHeader title="Security" description="Keep your account safe." />
      <ChangePasswordCard />
    </>
  );
}
