import "@testing-library/jest-dom/vitest";
import { cleanup, configure } from "@testing-library/react";
import { afterEach, beforeEach, vi } from "vitest";
import { resetSessionForTests } from "../lib/session";
import { RealtimeClient, setRealtimeClient } from "../lib/ws";
import { FakeSocket } from "./fakeSocket";

// CI machines are small (2 cores, files run in parallel): give async queries room.
configure({ asyncUtilTimeout: 4000 });

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
