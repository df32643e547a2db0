import "@testing-library/jest-dom/vitest";
import { cleanup } from "@testing-library/react";
import { afterEach, beforeEach, vi } from "vitest";
import { resetSessionForTests } from "../lib/session";
import { RealtimeClient, setRealtimeClient } from "../lib/ws";
import { FakeSocket } from "./fakeSocket";

beforeEach(() => {
  // no real network sockets in unit tests
  FakeSocket.reset();
  setRealtimeClient(new RealtimeClient({ createSocket: (u) => new FakeSocket(u) }));
});

afterEach(() => {
  cleanup();
  resetSessionForTests();
  setRealtimeClient(null);
  vi.unstubAllGlobals();
});
