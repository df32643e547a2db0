import { Link } from "react-router";
import { AbsoluteTime, Badge, Card, DetailList, PageHeader, RelativeTime } from "../../components";
import { useUser } from "../../lib/auth";
import { humanize } from "../../lib/format";
import { LivePrices } from "../shared/LivePrices";
import { TeamCard } from "./TeamCard";

const MARKETS = [
  { code: "EUA", name: "EU Allowance" },
  { code: "CEA", name: "China Emission Allowance" },
] as const;

/** The two markets at a glance, each a way into its trading page. */
function MarketsCard() {
  return (
    <Card title="Markets" description="Live prices from Niha's order book.">
      <div className="grid gap-4 sm:grid-cols-2">
        {MARKETS.map(({ code, name }) => (
          <div key={code} className="flex flex-col gap-2">
            <h3 className="text-sm font-semibold text-navy-950">
              {name} <span className="font-normal text-slate-500">({code}-EUR)</span>
            </h3>
            <LivePrices code={code} />
            <Link to={`/app/trade/${code}-EUR`} className="text-sm font-medium text-navy-700 underline-offset-2 hover:underline">
              Trade {code} →
            </Link>
          </div>
        ))}
      </div>
    </Card>
  );
}

const ENTITY_ROLE_TEXT: Record<string, string> = {
  owner: "You manage your organisation's account and its users, and can trade.",
  trader: "You can trade on behalf of your organisation.",
  viewer: "You can view your organisation's account, without trading.",
};

export function AccountPage() {
  const user = useUser();
  const firstName = user.name.split(/\s+/)[0] ?? user.name;
  return (
    <>
      <PageHeader title={`Welcome, ${firstName}`} description="Your Niha profile and access." />
      <div className="grid gap-6 lg:grid-cols-3">
        <Card title="Profile" className="lg:col-span-2">
          <DetailList
            items={[
              { label: "Name", value: user.name },
              { label: "Email", value: user.email },
              {
                label: "Role in your organisation",
                value: user.entity_role ? <Badge tone="navy">{humanize(user.entity_role)}</Badge> : "—",
              },
              { label: "Account status", value: <Badge status={user.status} /> },
              { label: "Member since", value: <AbsoluteTime value={user.created_at} dateOnly /> },
              {
                label: "Last sign-in",
                value: user.last_login_at ? <RelativeTime value={user.last_login_at} /> : "—",
              },
            ]}
          />
        </Card>
        <Card title="Your access">
          <p className="text-sm text-slate-600">
            {user.entity_role ? ENTITY_ROLE_TEXT[user.entity_role] : "Your account is not linked to an organisation yet."}
          </p>
          <p className="mt-3 text-sm text-slate-600">
            {user.entity_role === "owner"
              ? "You manage your colleagues' access below. Another owner, or your Niha account manager, can change yours."
              : "To change your role, contact your organisation's owner or your Niha account manager."}
          </p>
        </Card>
        {user.entity_id && (
          <div className="lg:col-span-3">
            <MarketsCard />
          </div>
        )}
        {user.entity_id && (
          <div className="lg:col-span-3">
            <TeamCard entityId={user.entity_id} />
          </div>
        )}
      </div>
    </>
  );
}
