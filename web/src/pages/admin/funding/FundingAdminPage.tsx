import { useSearchParams } from "react-router";
import { PageHeader, Tabs } from "../../../components";
import { useUser } from "../../../lib/auth";
import { canManageDeposits } from "../../../lib/permissions";
import { AMLHoldsTab } from "./AMLHoldsTab";
import { BankAccountsAdminTab } from "./BankAccountsAdminTab";
import { PendingDepositsTab } from "./PendingDepositsTab";
import { WithdrawalsTab } from "./WithdrawalsTab";

const TABS = ["deposits", "holds", "withdrawals", "bank-accounts"] as const;
type Tab = (typeof TABS)[number];

/** Deposits to confirm, AML holds, withdrawals to approve and send, bank accounts to verify. */
export function FundingAdminPage() {
  const user = useUser();
  const [params, setParams] = useSearchParams();
  const tab: Tab = (TABS as readonly string[]).includes(params.get("tab") ?? "") ? (params.get("tab") as Tab) : "deposits";
  const canVerify = !!user.role; // every staff role may verify bank accounts
  return (
    <>
      <PageHeader title="Funding" description="Confirm incoming wires, review AML holds, approve and send withdrawals, verify bank accounts." />
      <Tabs
        label="Funding operations"
        value={tab}
        onChange={(id) => setParams(id === "deposits" ? {} : { tab: id }, { replace: true })}
        items={[
          { id: "deposits", label: "Deposits", content: <PendingDepositsTab canManage={canManageDeposits(user)} /> },
          { id: "holds", label: "AML holds", content: <AMLHoldsTab /> },
          { id: "withdrawals", label: "Withdrawals", content: <WithdrawalsTab /> },
          { id: "bank-accounts", label: "Bank accounts", content: <BankAccountsAdminTab canVerify={canVerify} /> },
        ]}
      />
    </>
  );
}
