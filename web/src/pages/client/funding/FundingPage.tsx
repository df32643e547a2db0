import { useState } from "react";
import { useSearchParams } from "react-router";
import type { BankAccount } from "../../../api/fundingTypes";
import { Button, PageHeader, Tabs } from "../../../components";
import { useUser } from "../../../lib/auth";
import { AddBankAccountModal } from "./AddBankAccountModal";
import { availableOf, BalancesCard, useBalances } from "./BalancesCard";
import { BankAccountsTab, useBankAccounts } from "./BankAccountsTab";
import { DepositAnnouncementModal } from "./DepositAnnouncementModal";
import { MyDepositsTab } from "./MyDepositsTab";
import { MyWithdrawalsTab } from "./MyWithdrawalsTab";
import { TransactionHistoryTab } from "./TransactionHistoryTab";
import { WithdrawalRequestModal } from "./WithdrawalRequestModal";

const TABS = ["deposits", "withdrawals", "bank-accounts", "history"] as const;
type Tab = (typeof TABS)[number];

/** Balances, deposits, withdrawals, bank accounts and the transaction history. */
export function FundingPage() {
  const user = useUser();
  const canManage = user.entity_role === "owner";
  const [params, setParams] = useSearchParams();
  const tab: Tab = (TABS as readonly string[]).includes(params.get("tab") ?? "") ? (params.get("tab") as Tab) : "deposits";
  const balances = useBalances();
  const accounts = useBankAccounts();
  const [depositOpen, setDepositOpen] = useState(false);
  const [withdrawOpen, setWithdrawOpen] = useState(false);
  const [accountModal, setAccountModal] = useState<{ editing: BankAccount | null } | null>(null);
  const accountList = accounts.data?.items ?? [];

  return (
    <>
      <PageHeader
        title="Funding"
        description="Fund your account by bank transfer, withdraw to your verified accounts, and follow every movement."
        actions={
          canManage ? (
            <>
              <Button onClick={() => setDepositOpen(true)}>Deposit funds</Button>
              <Button variant="secondary" onClick={() => setWithdrawOpen(true)}>
                Withdraw
              </Button>
            </>
          ) : undefined
        }
      />
      <div className="flex flex-col gap-6">
        <BalancesCard />
        <Tabs
          label="Funding"
          value={tab}
          onChange={(id) => setParams(id === "deposits" ? {} : { tab: id }, { replace: true })}
          items={[
            { id: "deposits", label: "Deposits", content: <MyDepositsTab onAnnounce={() => setDepositOpen(true)} /> },
            { id: "withdrawals", label: "Withdrawals", content: <MyWithdrawalsTab /> },
            {
              id: "bank-accounts",
              label: "Bank accounts",
              content: (
                <div className="flex flex-col gap-4">
                  {canManage && (
                    <div className="flex justify-end">
                      <Button variant="secondary" onClick={() => setAccountModal({ editing: null })}>
                        Add bank account
                      </Button>
                    </div>
                  )}
                  <BankAccountsTab
                    canManage={canManage}
                    onAdd={() => setAccountModal({ editing: null })}
                    onEdit={(a) => setAccountModal({ editing: a })}
                  />
                </div>
              ),
            },
            { id: "history", label: "History", content: <TransactionHistoryTab /> },
          ]}
        />
      </div>
      <DepositAnnouncementModal open={depositOpen} onClose={() => setDepositOpen(false)} accounts={accountList} />
      <WithdrawalRequestModal
        open={withdrawOpen}
        onClose={() => setWithdrawOpen(false)}
        available={availableOf(balances.data)}
        accounts={accountList}
        onAddAccount={() => {
          setParams({ tab: "bank-accounts" }, { replace: true });
          setAccountModal({ editing: null });
        }}
      />
      <AddBankAccountModal open={!!accountModal} editing={accountModal?.editing} onClose={() => setAccountModal(null)} />
    </>
  );
}
