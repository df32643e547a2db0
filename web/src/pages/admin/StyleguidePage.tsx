import { useState, type ReactNode } from "react";
import {
  AbsoluteTime,
  Alert,
  Badge,
  Button,
  Card,
  ConfirmDialog,
  DetailList,
  EmptyState,
  FileDrop,
  Input,
  Modal,
  Money,
  PageHeader,
  QrCode,
  Quantity,
  RelativeTime,
  Select,
  Skeleton,
  Stepper,
  Table,
  Tabs,
  Textarea,
  Timeline,
  useToast,
  type Column,
} from "../../components";
import { compareDecimal } from "../../lib/format";
import { STATUS_TONE } from "../../lib/status";

function Section({ title, children }: { title: string; children: ReactNode }) {
  return (
    <Card title={title}>
      <div className="flex flex-col gap-4">{children}</div>
    </Card>
  );
}

const NAVY = ["50", "100", "200", "300", "400", "500", "600", "700", "800", "900", "950"] as const;
const NAVY_BG: Record<(typeof NAVY)[number], string> = {
  "50": "bg-navy-50",
  "100": "bg-navy-100",
  "200": "bg-navy-200",
  "300": "bg-navy-300",
  "400": "bg-navy-400",
  "500": "bg-navy-500",
  "600": "bg-navy-600",
  "700": "bg-navy-700",
  "800": "bg-navy-800",
  "900": "bg-navy-900",
  "950": "bg-navy-950",
};

interface Trade {
  id: string;
  instrument: string;
  price: string;
  quantity: number;
  status: string;
  at: string;
}

const now = Date.now();
const TRADES: Trade[] = [
  { id: "t1", instrument: "EUA-EUR", price: "72.35", quantity: 1500, status: "filled", at: new Date(now - 90_000).toISOString() },
  { id: "t2", instrument: "CEA-EUR", price: "11.08", quantity: 25000, status: "partially_filled", at: new Date(now - 3_600_000).toISOString() },
  { id: "t3", instrument: "EUA-EUR", price: "71.90", quantity: 300, status: "cancelled", at: new Date(now - 86_400_000 * 2).toISOString() },
];

const TRADE_COLUMNS: Column<Trade>[] = [
  { id: "instrument", header: "Instrument", sortValue: (t) => t.instrument, cell: (t) => <span className="font-medium">{t.instrument}</span> },
  { id: "price", header: "Price", align: "right", compare: (a, b) => compareDecimal(a.price, b.price), cell: (t) => <Money value={t.price} /> },
  { id: "qty", header: "Quantity", align: "right", sortValue: (t) => t.quantity, cell: (t) => <Quantity value={t.quantity} /> },
  { id: "status", header: "Status", cell: (t) => <Badge status={t.status} /> },
  { id: "at", header: "When", hideOnMobile: true, cell: (t) => <RelativeTime value={t.at} /> },
];

export function StyleguidePage() {
  const { toast } = useToast();
  const [modal, setModal] = useState(false);
  const [drawer, setDrawer] = useState(false);
  const [confirm, setConfirm] = useState(false);
  const [typed, setTyped] = useState(false);
  const [step, setStep] = useState(1);
  const [files, setFiles] = useState<File[]>([]);
  const [tableState, setTableState] = useState<"data" | "loading" | "empty">("data");

  return (
    <>
      <PageHeader title="Styleguide" description="Every shared component, in its states. Tokens: navy (brand), emerald (accent), slate (neutrals)." />
      <div className="flex flex-col gap-6">
        <Section title="Colours">
          <div className="grid grid-cols-6 gap-2 sm:grid-cols-11">
            {NAVY.map((n) => (
              <div key={n} className="text-center text-xs text-slate-500">
                <div className={`h-10 rounded-md ring-1 ring-slate-200 ${NAVY_BG[n]}`} />
                navy-{n}
              </div>
            ))}
          </div>
          <div className="flex flex-wrap gap-2 text-xs text-slate-600">
            <span className="rounded-md bg-emerald-700 px-3 py-2 text-white">emerald-700 accent</span>
            <span className="rounded-md bg-emerald-50 px-3 py-2 text-emerald-800">emerald-50</span>
            <span className="rounded-md bg-slate-100 px-3 py-2">slate-100</span>
            <span className="rounded-md bg-slate-900 px-3 py-2 text-white">slate-900</span>
          </div>
        </Section>

        <Section title="Buttons">
          <div className="flex flex-wrap gap-2">
            <Button>Primary</Button>
            <Button variant="secondary">Secondary</Button>
            <Button variant="danger">Danger</Button>
            <Button variant="ghost">Ghost</Button>
            <Button loading>Saving</Button>
            <Button disabled>Disabled</Button>
            <Button size="sm">Small</Button>
          </div>
        </Section>

        <Section title="Form fields">
          <div className="grid gap-4 md:grid-cols-2">
            <Input label="Email" type="email" placeholder="name@company.com" hint="We never share it." />
            <Input label="Amount" defaultValue="-12" error="Must be a positive amount." />
            <Select label="Instrument" options={[{ value: "EUA-EUR", label: "EUA-EUR" }, { value: "CEA-EUR", label: "CEA-EUR" }]} placeholder="Choose…" />
            <Input label="Disabled" disabled defaultValue="Read only" />
            <Textarea label="Note" hint="Visible to compliance only." containerClassName="md:col-span-2" />
          </div>
          <FileDrop label="Upload a document" accept="application/pdf,image/*" maxSizeBytes={10 * 1024 * 1024} hint="PDF or image, up to 10 MB." onFiles={setFiles} />
          {files.length > 0 && <p className="text-sm text-slate-600">Chosen: {files.map((f) => f.name).join(", ")}</p>}
        </Section>

        <Section title="Badges (one colour per status)">
          <div className="flex flex-wrap gap-2">
            {Object.keys(STATUS_TONE).map((s) => (
              <Badge key={s} status={s} />
            ))}
          </div>
          <div className="flex flex-wrap gap-2">
            <Badge tone="navy">Admin</Badge>
            <Badge tone="slate">Client · Viewer</Badge>
          </div>
        </Section>

        <Section title="Alerts">
          <Alert tone="info" title="Information">Settlement runs at 16:00 CET.</Alert>
          <Alert tone="success" title="Deposit confirmed">Funds are on hold until AML checks complete.</Alert>
          <Alert tone="warning" title="Your session expired">Sign in again to continue.</Alert>
          <Alert tone="error" title="Something went wrong">Try again in a moment.</Alert>
        </Section>

        <Section title="Numbers and time">
          <DetailList
            items={[
              { label: "Money", value: <Money value="1234567.5" /> },
              { label: "Money (negative, coloured)", value: <Money value="-98765.43" colored signed /> },
              { label: "Huge money", value: <Money value="90071992547409931234.57" /> },
              { label: "Quantity", value: <Quantity value={1500000} unit="EUA" /> },
              { label: "Relative time", value: <RelativeTime value={new Date(now - 5 * 60_000).toISOString()} /> },
              { label: "Absolute time", value: <AbsoluteTime value="2025-03-02T14:03:07Z" /> },
            ]}
          />
        </Section>

        <Section title="Table">
          <div className="flex gap-2">
            {(["data", "loading", "empty"] as const).map((s) => (
              <Button key={s} size="sm" variant={tableState === s ? "primary" : "secondary"} onClick={() => setTableState(s)}>
                {s}
              </Button>
            ))}
          </div>
          <Table
            label="Example trades"
            columns={TRADE_COLUMNS}
            rows={tableState === "data" ? TRADES : tableState === "empty" ? [] : undefined}
            loading={tableState === "loading"}
            rowKey={(t) => t.id}
            empty={<EmptyState title="No trades" description="Trades appear here when orders match." />}
            pagination={{ hasMore: tableState === "data", onLoadMore: () => toast({ title: "Would load the next page", tone: "info" }) }}
          />
        </Section>

        <Section title="Tabs, stepper, timeline">
          <Tabs
            label="Example tabs"
            items={[
              { id: "a", label: "Overview", content: <p className="text-sm text-slate-600">Overview content.</p> },
              { id: "b", label: "Documents", content: <p className="text-sm text-slate-600">Documents content.</p> },
              { id: "c", label: "History", content: <p className="text-sm text-slate-600">History content.</p> },
            ]}
          />
          <Stepper label="Example progress" steps={["Company", "Documents", "Review"]} current={step} />
          <div className="flex gap-2">
            <Button size="sm" variant="secondary" onClick={() => setStep((s) => Math.max(0, s - 1))}>
              Back
            </Button>
            <Button size="sm" variant="secondary" onClick={() => setStep((s) => Math.min(3, s + 1))}>
              Next
            </Button>
          </div>
          <Timeline
            label="Example timeline"
            items={[
              { id: "1", title: "Deposit announced", time: "2025-03-01T09:12:00Z", tone: "sky" },
              { id: "2", title: "Funds received", time: "2025-03-02T10:00:00Z", description: "€250,000.00 on hold", tone: "amber" },
              { id: "3", title: "Cleared", time: "2025-03-04T10:00:00Z", tone: "emerald" },
            ]}
          />
        </Section>

        <Section title="Overlays and feedback">
          <div className="flex flex-wrap gap-2">
            <Button variant="secondary" onClick={() => setModal(true)}>Open modal</Button>
            <Button variant="secondary" onClick={() => setDrawer(true)}>Open drawer</Button>
            <Button variant="secondary" onClick={() => setConfirm(true)}>Confirm dialog</Button>
            <Button variant="danger" onClick={() => setTyped(true)}>Type-to-confirm</Button>
            <Button variant="secondary" onClick={() => toast({ title: "Saved", description: "Your changes are live." })}>Success toast</Button>
            <Button variant="secondary" onClick={() => toast({ title: "Couldn't save", description: "Try again.", tone: "error" })}>Error toast</Button>
          </div>
          <div className="flex flex-wrap items-center gap-6">
            <div className="flex w-48 flex-col gap-2">
              <Skeleton className="h-4 w-3/4" />
              <Skeleton className="h-4 w-full" />
              <Skeleton className="h-4 w-1/2" />
            </div>
            <QrCode value="otpauth://totp/Niha:demo@niha.example?secret=JBSWY3DPEHPK3PXP&issuer=Niha" label="Example QR code" className="size-28" />
          </div>
        </Section>
      </div>

      <Modal open={modal} onClose={() => setModal(false)} title="Example modal" description="Focus stays inside; Escape closes." footer={<Button onClick={() => setModal(false)}>Done</Button>}>
        <Input label="Something to type" />
      </Modal>
      <Modal open={drawer} onClose={() => setDrawer(false)} variant="drawer" title="Example drawer">
        <p className="text-sm text-slate-600">Drawers show details without leaving the list.</p>
      </Modal>
      <ConfirmDialog open={confirm} title="Approve withdrawal?" onCancel={() => setConfirm(false)} onConfirm={() => setConfirm(false)} confirmLabel="Approve">
        €12,000.00 will be sent to the verified account.
      </ConfirmDialog>
      <ConfirmDialog
        open={typed}
        title="Disable user"
        tone="danger"
        confirmText="demo@niha.example"
        confirmLabel="Disable"
        onCancel={() => setTyped(false)}
        onConfirm={() => setTyped(false)}
      >
        This can't be undone from here.
      </ConfirmDialog>
    </>
  );
}
