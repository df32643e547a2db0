import { act, renderHook } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { useAction } from "./useAction";

describe("useAction", () => {
  it("is busy while the work runs and keeps what it threw", async () => {
    const { result } = renderHook(() => useAction());
    let finish!: () => void;
    let done!: Promise<boolean>;
    act(() => {
      done = result.current.run(() => new Promise<void>((resolve) => (finish = resolve)));
    });
    expect(result.current.busy).toBe(true);
    await act(async () => {
      finish();
      expect(await done).toBe(true);
    });
    expect(result.current.busy).toBe(false);
    expect(result.current.error).toBeNull();

    const boom = new Error("refused");
    await act(async () => {
      expect(await result.current.run(() => Promise.reject(boom))).toBe(false);
    });
    expect(result.current.error).toBe(boom);
    expect(result.current.busy).toBe(false);
  });

  it("ignores a second start while one runs and clears the last error on a new run", async () => {
    const { result } = renderHook(() => useAction());
    await act(async () => {
      await result.current.run(() => Promise.reject(new Error("first")));
    });
    expect(result.current.error).toBeInstanceOf(Error);
    let finish!: () => void;
    let calls = 0;
    let first!: Promise<boolean>;
    let second!: Promise<boolean>;
    act(() => {
      first = result.current.run(() => {
        calls += 1;
        return new Promise<void>((resolve) => (finish = resolve));
      });
      second = result.current.run(async () => {
        calls += 1;
      });
    });
    expect(result.current.error).toBeNull();
    await act(async () => {
      expect(await second).toBe(false);
      finish();
      expect(await first).toBe(true);
    });
    expect(calls).toBe(1);
  });

  it("reset forgets the error", async () => {
    const { result } = renderHook(() => useAction());
    await act(async () => {
      await result.current.run(() => Promise.reject(new Error("x")));
    });
    act(() => result.current.reset());
    expect(result.current.error).toBeNull();
  });
});
