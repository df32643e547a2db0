import { useInfiniteQuery, useQueryClient } from "@tanstack/react-query";
import { useMemo, useState } from "react";
import { useNavigate } from "react-router";
import { api, unwrap } from "../../../api/client";
import { ENTITY_STATUSES, KYC_STATUSES, type Entity, type EntityQuery, type EntityStatus, type EntityType, type KycStatus } from "../../../api/onboarding";
import { EmptyState, FormAlert, Input, PageHeader, RelativeTime, Select, Table, type Column } from "../../../components";
import { useChannel } from "../../../lib/useChannel";
import { useDebounced } from "../../../lib/useDebounced";
import { countryName, ENTITY_TYPE_LABEL } from "../../onboarding/labels";
import { StatusBadge, statusLabel } from "../../onboarding/shared";

const PAGE_SIZE = 50;

/** /admin/entities: the entity review queue (pending by default) and every other entity. */
export function EntitiesPage() {
  return (
    <>
      <PageHeader title="Entities" description="Client organisations and individuals: review submissions, approve, request changes." />
      <EntityReviewTab />
    </>
  );
}

export function EntityReviewTab() {
  const qc = useQueryClient();
  const navigate = useNavigate();
  const [status, setStatus] = useState<EntityStatus | "">("PENDING_REVIEW");
  const [kycStatus, setKycStatus] = useState<KycStatus | "">("");
  const [type, setType] = useState<EntityType | "">("");
  const [search, setSearch] = useState("");
  const debounced = useDebounced(search.trim(), 300);

  const filters: EntityQuery = useMemo(
    () => ({
      limit: PAGE_SIZE,
      ...(status ? { status } : {}),
      ...(kycStatus ? { kyc_status: kycStatus } : {}),
      ...(type ? { entity_type: type } : {}),
      ...(debounced ? { search: debounced } : {}),
    }),
    [status, kycStatus, type, debounced],
  );
  const list = useInfiniteQuery({
    queryKey: ["admin", "entities", "list", filters],
    queryFn: ({ pageParam }) =>
      unwrap(api.GET("/api/v1/admin/entities", { params: { query: { ...filters, ...(pageParam ? { cursor: pageParam } : {}) } } })),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.next_cursor ?? null,
  });
  useChannel("backoffice", (e) => {
    if (e.event.startsWith("entity.") || e.event.startsWith("kyc_document.")) void qc.invalidateQueries({ queryKey: ["admin", "entities"] });
  });
  const rows = list.data?.pages.flatMap((p) => p.items);

  const columns: Column<Entity>[] = [
    {
      id: "name",
      header: "Entity",
      sortValue: (e) => e.legal_name ?? "",
      cell: (e) => (
        <span className="block min-w-0">
          <span className="block font-medium text-navy-950">{e.legal_name || "Unnamed draft"}</span>
          <span className="block truncate text-xs font-normal text-slate-500">
            {ENTITY_TYPE_LABEL[e.entity_type]}
            {e.registration_number ? ` · ${e.registration_number}` : ""}
          </span>
        </span>
      ),
    },
    { id: "jurisdiction", header: "Jurisdiction", hideOnMobile: true, cell: (e) => (e.jurisdiction ? countryName(e.jurisdiction) : "—") },
    { id: "status", header: "Status", cell: (e) => <StatusBadge status={e.status} /> },
    { id: "kyc", header: "KYC", hideOnMobile: true, cell: (e) => <StatusBadge status={e.kyc_status} /> },
    {
      id: "updated",
      header: "Status since",
      hideOnMobile: true,
      sortValue: (e) => e.status_updated_at,
      cell: (e) => <RelativeTime value={e.status_updated_at} />,
    },
  ];

  const filtered = !!(status || kycStatus || type || debounced);
  return (
    <>
      <div className="mb-4 grid gap-3 sm:grid-cols-2 lg:grid-cols-4" role="search" aria-label="Filter entities">
        <Input label="Search" hideLabel type="search" placeholder="Search name or number" value={search} onChange={(e) => setSearch(e.target.value)} />
        <Select
          label="Status"
          hideLabel
          value={status}
          onChange={(e) => setStatus(e.target.value as EntityStatus | "")}
          placeholder="Any status"
          options={ENTITY_STATUSES.map((s) => ({ value: s, label: statusLabel(s) }))}
        />
        <Select
          label="KYC status"
          hideLabel
          value={kycStatus}
          onChange={(e) => setKycStatus(e.target.value as KycStatus | "")}
          placeholder="Any KYC status"
          options={KYC_STATUSES.map((s) => ({ value: s, label: `KYC: ${statusLabel(s)}` }))}
        />
        <Select
          label="Type"
          hideLabel
          value={type}
          onChange={(e) => setType(e.target.value as EntityType | "")}
          placeholder="Companies and individuals"
          options={[
            { value: "COMPANY", label: "Companies" },
            { value: "INDIVIDUAL", label: "Individuals" },
          ]}
        />
      </div>
      {list.isError ? (
        <FormAlert error={list.error} title="Couldn't load entities" />
      ) : (
        <Table
          label="Entities"
          columns={columns}
          rows={rows}
          rowKey={(e) => e.id}
          loading={list.isPending}
          onRowClick={(e) => navigate(`/admin/entities/${e.id}`)}
          rowLabel={() => "open the review"}
          empty={
            <EmptyState
              title={status === "PENDING_REVIEW" && !kycStatus && !type && !debounced ? "Nothing waiting for review" : "No entities match"}
              description={filtered ? "Try other filters." : undefined}
            />
          }
          pagination={{ hasMore: !!list.hasNextPage, onLoadMore: () => void list.fetchNextPage(), loadingMore: list.isFetchingNextPage }}
        />
      )}
    </>
  );
}
