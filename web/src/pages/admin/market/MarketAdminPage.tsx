import { useQueryClient } from "@tanstack/react-query";
import { useSearchParams } from "react-router";
import { Alert, Button, Card, EmptyState, PageHeader, Skeleton, Tabs } from "../../../components";
import { useUser } from "../../../lib/auth";
import { errorMessage } from "../../../lib/errors";
import { useChannel } from "../../../lib/useChannel";
import { InstrumentPanel, StatusBadge } from "./InstrumentPanel";
import { canConfirmTrades, canManageMarket, MARKET_KEY, OVERVIEW_KEY, useEntityOptions, useOverview } from "./shared";

const DEFAULT_SYMBOL = "EUA-EUR";

function Loading() {
  return (
    <div className="flex flex-col gap-4" role="status" aria-label="Loading the market">
      <Skeleton className="h-9 w-64" />
      <Skeleton className="h-32 w-full" />
      <div className="grid gap-4 lg:grid-cols-[280px_minmax(0,1fr)]">
        <Skeleton className="h-80 w-full" />
        <Skeleton className="h-80 w-full" />
      </div>
    </div>
  );
}

/**
 * Backoffice market: per instrument, its status (halt/resume with a reason), last, bid and
 * ask, the live book, every client's open orders (cancel on behalf), every trade with both
 * sides, and the instrument's rules. Compliance reads; operations and admins act.
 */
export function MarketAdminPage() {
  const user = useUser();
  const qc = useQueryClient();
  const overview = useOverview();
  const entities = useEntityOptions();
  const [params, setParams] = useSearchParams();
  const canManage = canManageMarket(user);
  const canConfirm = canConfirmTrades(user);

  // A colleague halts or changes an instrument, or confirms a block trade: follow it.
  useChannel("backoffice", (e) => {
    if (e.event.startsWith("instrument.")) void qc.invalidateQueries({ queryKey: OVERVIEW_KEY });
    if (e.event.startsWith("trade.")) void qc.invalidateQueries({ queryKey: [...MARKET_KEY, "trades"] });
  });
  useChannel("ticker", (e) => {
    if (e.event === "instrument.status") void qc.invalidateQueries({ queryKey: OVERVIEW_KEY });
  });

  // EUA-EUR first (as on the trading page), then the others in the API's order.
  const items = [...(overview.data?.instruments ?? [])].sort(
    (a, b) => Number(b.instrument.symbol === DEFAULT_SYMBOL) - Number(a.instrument.symbol === DEFAULT_SYMBOL),
  );
  const wanted = params.get("instrument");
  const fallback = items[0];
  const selected = items.find((it) => it.instrument.symbol === wanted)?.instrument.symbol ?? fallback?.instrument.symbol ?? "";

  return (
    <>
      <PageHeader
        title="Market"
        description={
          canManage
            ? "Watch the books and the tape, halt or resume an instrument, cancel a client's order, and set the trading rules."
            : "Watch the books, every client's orders and the tape with both sides."
        }
      />
      {overview.isPending ? (
        <Loading />
      ) : overview.isError ? (
        <Alert
          tone="error"
          title="Could not load the market"
          action={
            <Button size="sm" variant="secondary" onClick={() => void overview.refetch()}>
              Retry
            </Button>
          }
        >
          {errorMessage(overview.error)}
        </Alert>
      ) : items.length === 0 ? (
        <Card>
          <EmptyState title="No instruments" description="Instruments are created by a migration; none is set up yet." />
        </Card>
      ) : (
        <Tabs
          label="Instruments"
          value={selected}
          onChange={(id) => setParams(id === fallback?.instrument.symbol ? {} : { instrument: id }, { replace: true })}
          items={items.map((it) => ({
            id: it.instrument.symbol,
            label: (
              <span className="inline-flex items-center gap-2">
                {it.instrument.symbol}
                {it.instrument.status === "HALTED" && <StatusBadge status="HALTED" />}
              </span>
            ),
            content: <InstrumentPanel item={it} canManage={canManage} canConfirm={canConfirm} entities={entities} />,
          }))}
        />
      )}
    </>
  );
}
