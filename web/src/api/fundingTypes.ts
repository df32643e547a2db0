/** Named types of the funding API, derived from the generated `paths`. */
import type { paths } from "./schema";

type JsonOf<R> = R extends { content: { "application/json": infer T } } ? T : never;
type Ok<Op, Code extends number = 200> = Op extends { responses: infer Rs }
  ? Code extends keyof Rs
    ? JsonOf<Rs[Code]>
    : never
  : never;
type Body<Op> = Op extends { requestBody?: { content: { "application/json": infer T } } } ? T : never;
type Query<Op> = Op extends { parameters: { query?: infer Q } } ? NonNullable<Q> : never;

export type Balances = Ok<paths["/api/v1/balances"]["get"]>;
export type AssetBalance = Balances["balances"][number];

export type BankAccount = Ok<paths["/api/v1/funding/bank-accounts"]["post"], 201>;
export type BankAccountInput = Body<paths["/api/v1/funding/bank-accounts"]["post"]>;
export type IbanCheck = Ok<paths["/api/v1/funding/bank-accounts/validate-iban"]["post"]>;

export type Deposit = Ok<paths["/api/v1/funding/deposits/announce"]["post"], 201>;
export type DepositAnnouncement = Body<paths["/api/v1/funding/deposits/announce"]["post"]>;
export type WireInstructions = NonNullable<Deposit["wire_instructions"]>;
export type DepositStatus = Deposit["status"];

export type Withdrawal = Ok<paths["/api/v1/funding/withdrawals/request"]["post"], 201>;
export type WithdrawalStatus = Withdrawal["status"];

export type TransactionPage = Ok<paths["/api/v1/funding/transactions"]["get"]>;
export type Transaction = TransactionPage["items"][number];
export type TransactionQuery = Query<paths["/api/v1/funding/transactions"]["get"]>;
export type TransactionType = Transaction["type"];

export type AdminDeposit = Ok<paths["/api/v1/admin/deposits"]["get"]>["items"][number];
export type DepositConfirmation = Body<paths["/api/v1/admin/deposits/{deposit_id}/confirm"]["post"]>;
export type Hold = Ok<paths["/api/v1/admin/aml/holds"]["get"]>["items"][number];
export type HoldQuery = Query<paths["/api/v1/admin/aml/holds"]["get"]>;
export type AdminWithdrawal = Ok<paths["/api/v1/admin/withdrawals"]["get"]>["items"][number];
export type AdminWithdrawalQuery = Query<paths["/api/v1/admin/withdrawals"]["get"]>;
export type AdminBankAccount = Ok<paths["/api/v1/admin/bank-accounts"]["get"]>["items"][number];

export const DEPOSIT_STATUSES = ["PENDING", "ON_HOLD", "CLEARED", "REJECTED", "RETURNED", "CANCELLED"] as const satisfies readonly DepositStatus[];
export const WITHDRAWAL_STATUSES = ["PENDING", "APPROVED", "PROCESSING", "COMPLETED", "REJECTED", "CANCELLED"] as const satisfies readonly WithdrawalStatus[];
export const TRANSACTION_TYPES = ["deposit", "withdrawal", "hold", "fee", "trade", "settlement", "adjustment", "other"] as const satisfies readonly TransactionType[];
