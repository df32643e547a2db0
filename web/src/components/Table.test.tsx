import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { Table, type Column } from "./Table";

interface Row {
  id: string;
  name: string;
  qty: number;
}

const columns: Column<Row>[] = [
  { id: "name", header: "Name", cell: (r) => r.name, sortValue: (r) => r.name },
  { id: "qty", header: "Quantity", cell: (r) => String(r.qty), sortValue: (r) => r.qty, align: "right" },
];

const rows: Row[] = [
  { id: "1", name: "Bravo", qty: 20 },
  { id: "2", name: "Alpha", qty: 100 },
  { id: "3", name: "Charlie", qty: 3 },
];

function bodyRows() {
  const table = screen.getByRole("table");
  return within(table).getAllByRole("row").slice(1);
}

describe("Table", () => {
  it("shows skeleton rows while loading", () => {
    render(<Table label="Things" columns={columns} rows={undefined} rowKey={(r) => r.id} loading skeletonRows={4} />);
    expect(screen.getAllByTestId("skeleton-row")).toHaveLength(4);
    expect(screen.getByRole("table", { name: "Things" })).toHaveAttribute("aria-busy", "true");
  });

  it("shows the empty state when there are no rows", () => {
    render(<Table label="Things" columns={columns} rows={[]} rowKey={(r) => r.id} empty={<p>No things yet</p>} />);
    expect(screen.getByText("No things yet")).toBeInTheDocument();
    expect(screen.queryAllByTestId("skeleton-row")).toHaveLength(0);
  });

  it("sorts on a column: ascending, descending, then original order", async () => {
    const user = userEvent.setup();
    render(<Table label="Things" columns={columns} rows={rows} rowKey={(r) => r.id} />);
    const header = screen.getByRole("columnheader", { name: /quantity/i });
    expect(header).toHaveAttribute("aria-sort", "none");
    const button = within(header).getByRole("button");

    await user.click(button);
    expect(header).toHaveAttribute("aria-sort", "ascending");
    expect(bodyRows().map((r) => r.textContent)).toEqual(["Charlie3", "Bravo20", "Alpha100"]);

    await user.click(button);
    expect(header).toHaveAttribute("aria-sort", "descending");
    expect(bodyRows().map((r) => r.textContent)).toEqual(["Alpha100", "Bravo20", "Charlie3"]);

    await user.click(button);
    expect(bodyRows().map((r) => r.textContent)).toEqual(["Bravo20", "Alpha100", "Charlie3"]);
  });

  it("offers Load more while there is a next cursor", async () => {
    const user = userEvent.setup();
    const onLoadMore = vi.fn();
    const { rerender } = render(
      <Table label="Things" columns={columns} rows={rows} rowKey={(r) => r.id} pagination={{ hasMore: true, onLoadMore }} />,
    );
    await user.click(screen.getByRole("button", { name: "Load more" }));
    expect(onLoadMore).toHaveBeenCalledTimes(1);

    rerender(<Table label="Things" columns={columns} rows={rows} rowKey={(r) => r.id} pagination={{ hasMore: true, onLoadMore, loadingMore: true }} />);
    expect(screen.getByRole("button", { name: "Load more" })).toBeDisabled();

    rerender(<Table label="Things" columns={columns} rows={rows} rowKey={(r) => r.id} pagination={{ hasMore: false, onLoadMore }} />);
    expect(screen.queryByRole("button", { name: "Load more" })).not.toBeInTheDocument();
  });

  it("makes rows openable by keyboard when clickable", async () => {
    const user = userEvent.setup();
    const onRowClick = vi.fn();
    render(<Table label="Things" columns={columns} rows={rows} rowKey={(r) => r.id} onRowClick={onRowClick} rowLabel={(r) => `Open ${r.name}`} />);
    await user.click(screen.getByRole("button", { name: /Open Alpha$/ }));
    expect(onRowClick).toHaveBeenCalledWith(rows[1]);
    expect(onRowClick).toHaveBeenCalledTimes(1);
  });
});
