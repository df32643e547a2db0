import { useMemo, useState, type ReactNode } from "react";
import { cx } from "../lib/cx";
import { Button } from "./Button";
import { Skeleton } from "./Skeleton";

export interface Column<T> {
  id: string;
  header: ReactNode;
  cell: (row: T) => ReactNode;
  /** makes the column sortable on the client; return a comparable value */
  sortValue?: (row: T) => string | number | null | undefined;
  /** custom comparison (e.g. decimal strings) instead of sortValue */
  compare?: (a: T, b: T) => number;
  align?: "left" | "right" | "center";
  className?: string;
  /** hide below the sm breakpoint */
  hideOnMobile?: boolean;
}

export interface TablePagination {
  hasMore: boolean;
  onLoadMore: () => void;
  loadingMore?: boolean;
}

export interface TableProps<T> {
  columns: readonly Column<T>[];
  rows: readonly T[] | undefined;
  rowKey: (row: T) => string;
  /** accessible name of the table */
  label: string;
  loading?: boolean;
  skeletonRows?: number;
  empty?: ReactNode;
  pagination?: TablePagination;
  onRowClick?: (row: T) => void;
  /** what opening the row does, added after the first cell's text for screen readers */
  rowLabel?: (row: T) => string;
  initialSort?: { column: string; direction: SortDirection };
}

export type SortDirection = "ascending" | "descending";

const ALIGN = { left: "text-left", right: "text-right", center: "text-center" } as const;

function SortIcon({ direction }: { direction: SortDirection | null }) {
  return (
    <svg viewBox="0 0 12 12" className="size-3" aria-hidden="true">
      <path d="M6 2l3 3.5H3z" className={direction === "ascending" ? "fill-navy-900" : "fill-slate-300"} />
      <path d="M6 10L3 6.5h6z" className={direction === "descending" ? "fill-navy-900" : "fill-slate-300"} />
    </svg>
  );
}

export function Table<T>({
  columns,
  rows,
  rowKey,
  label,
  loading = false,
  skeletonRows = 5,
  empty,
  pagination,
  onRowClick,
  rowLabel,
  initialSort,
}: TableProps<T>) {
  const [sort, setSort] = useState<{ column: string; direction: SortDirection } | null>(initialSort ?? null);

  const sorted = useMemo(() => {
    if (!rows) return [];
    if (!sort) return rows;
    const col = columns.find((c) => c.id === sort.column);
    if (!col || (!col.sortValue && !col.compare)) return rows;
    const dir = sort.direction === "ascending" ? 1 : -1;
    const cmp =
      col.compare ??
      ((a: T, b: T) => {
        const va = col.sortValue!(a);
        const vb = col.sortValue!(b);
        if (va == null && vb == null) return 0;
        if (va == null) return -1;
        if (vb == null) return 1;
        if (typeof va === "number" && typeof vb === "number") return va - vb;
        return String(va).localeCompare(String(vb), undefined, { numeric: true, sensitivity: "base" });
      });
    return [...rows].sort((a, b) => cmp(a, b) * dir);
  }, [rows, sort, columns]);

  function toggleSort(id: string) {
    setSort((s) =>
      s?.column !== id
        ? { column: id, direction: "ascending" }
        : s.direction === "ascending"
          ? { column: id, direction: "descending" }
          : null,
    );
  }

  const showSkeleton = loading && (!rows || rows.length === 0);
  const isEmpty = !loading && rows !== undefined && rows.length === 0;

  return (
    <div className="overflow-hidden rounded-xl border border-slate-200 bg-white shadow-card">
      {/* relative: keeps absolutely positioned content (sr-only labels) inside the scroll box */}
      <div className="relative overflow-x-auto">
        <table className="min-w-full divide-y divide-slate-200 text-sm" aria-label={label} aria-busy={loading || undefined}>
          <thead className="bg-slate-50/80">
            <tr>
              {columns.map((c) => {
                const sortable = !!(c.sortValue || c.compare);
                const direction = sort?.column === c.id ? sort.direction : null;
                return (
                  <th
                    key={c.id}
                    scope="col"
                    aria-sort={sortable ? (direction ?? "none") : undefined}
                    className={cx(
                      "px-4 py-2.5 text-xs font-semibold tracking-wide whitespace-nowrap text-slate-600 uppercase",
                      ALIGN[c.align ?? "left"],
                      c.hideOnMobile && "hidden sm:table-cell",
                      c.className,
                    )}
                  >
                    {sortable ? (
                      <button
                        type="button"
                        onClick={() => toggleSort(c.id)}
                        className="inline-flex items-center gap-1 uppercase hover:text-navy-900"
                      >
                        {c.header}
                        <SortIcon direction={direction} />
                      </button>
                    ) : (
                      c.header
                    )}
                  </th>
                );
              })}
            </tr>
          </thead>
          <tbody className="divide-y divide-slate-100">
            {showSkeleton &&
              Array.from({ length: skeletonRows }, (_, i) => (
                <tr key={`skeleton-${i}`} data-testid="skeleton-row">
                  {columns.map((c) => (
                    <td key={c.id} className={cx("px-4 py-3.5", c.hideOnMobile && "hidden sm:table-cell")}>
                      <Skeleton className={cx("h-4", i % 2 ? "w-2/3" : "w-4/5")} />
                    </td>
                  ))}
                </tr>
              ))}
            {isEmpty && (
              <tr>
                <td colSpan={columns.length} className="px-4 py-14 text-center">
                  {empty ?? <p className="text-sm text-slate-500">Nothing here yet.</p>}
                </td>
              </tr>
            )}
            {!showSkeleton &&
              sorted.map((row) => (
                <tr
                  key={rowKey(row)}
                  className={cx("transition-colors", onRowClick && "cursor-pointer hover:bg-navy-50/50")}
                  onClick={onRowClick ? () => onRowClick(row) : undefined}
                >
                  {columns.map((c, i) => (
                    <td
                      key={c.id}
                      className={cx(
                        "px-4 py-3 align-middle text-slate-700",
                        ALIGN[c.align ?? "left"],
                        c.hideOnMobile && "hidden sm:table-cell",
                        c.className,
                      )}
                    >
                      {i === 0 && onRowClick ? (
                        <button
                          type="button"
                          className="text-left font-medium text-navy-900 hover:underline"
                          onClick={(e) => {
                            e.stopPropagation();
                            onRowClick(row);
                          }}
                        >
                          {c.cell(row)}
                          {/* The visible text stays part of the accessible name (WCAG 2.5.3). */}
                          {rowLabel && <span className="sr-only">, {rowLabel(row)}</span>}
                        </button>
                      ) : (
                        c.cell(row)
                      )}
                    </td>
                  ))}
                </tr>
              ))}
          </tbody>
        </table>
      </div>
      {pagination && (pagination.hasMore || pagination.loadingMore) && (
        <div className="flex justify-center border-t border-slate-100 bg-slate-50/50 px-4 py-3">
          <Button variant="secondary" size="sm" onClick={pagination.onLoadMore} loading={pagination.loadingMore}>
            Load more
          </Button>
        </div>
      )}
    </div>
  );
}
