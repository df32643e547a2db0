import { act, render } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { FakeSocket } from "../test/fakeSocket";
import { useChannel } from "./useChannel";
import { isPublicChannel, RealtimeClient, setRealtimeClient, type ChannelEvent } from "./ws";

let token: string | null = "token-1";
let tokenListeners: (() => void)[] = [];

function makeClient() {
  return new RealtimeClient({
    url: "ws://localhost/api/v1/ws",
    createSocket: (u) => new FakeSocket(u),
    getToken: () => token,
    onTokenChange: (fn) => {
      tokenListeners.push(fn);
      return () => {
        tokenListeners = tokenListeners.filter((f) => f !== fn);
      };
    },
    baseDelay: 100,
    maxDelay: 1000,
    random: () => 0.5,
    idleCloseDelay: 50,
  });
}

function changeToken(t: string | null) {
  token = t;
  for (const fn of tokenListeners) fn();
}

/** open the socket and complete the auth handshake */
function handshake(sock: FakeSocket) {
  sock.open();
  expect(sock.sent[0]).toEqual({ op: "auth", token });
  sock.serverSend({ type: "ready" });
}

function Listener({ channel, onEvent }: { channel: string; onEvent: (e: ChannelEvent) => void }) {
  useChannel(channel, onEvent);
  return null;
}

beforeEach(() => {
  vi.useFakeTimers();
  FakeSocket.reset();
  token = "token-1";
  tokenListeners = [];
});

afterEach(() => {
  vi.useRealTimers();
});

describe("RealtimeClient", () => {
  it("authenticates first, then subscribes, and delivers events", () => {
    const client = makeClient();
    const seen: ChannelEvent[] = [];
    client.subscribe("backoffice", (e) => seen.push(e));
    expect(FakeSocket.instances).toHaveLength(1);
    const sock = FakeSocket.last;
    expect(sock.url).toBe("ws://localhost/api/v1/ws");
    handshake(sock);
    expect(sock.sent[1]).toEqual({ op: "subscribe", channel: "backoffice" });
    sock.serverSend({ type: "subscribed", channel: "backoffice" });
    sock.serverSend({ type: "event", channel: "backoffice", event: "user.invited", data: { id: "u1" }, ts: "2025-01-01T00:00:00Z" });
    sock.serverSend({ type: "event", channel: "other", event: "x", data: null, ts: "2025-01-01T00:00:00Z" });
    expect(seen).toHaveLength(1);
    expect(seen[0]!.event).toBe("user.invited");
    expect(client.state).toBe("open");
  });

  it("shares one connection and one server subscription between listeners (ref-counted)", () => {
    const client = makeClient();
    const a = vi.fn();
    const b = vi.fn();
    const offA = client.subscribe("backoffice", a);
    const offB = client.subscribe("backoffice", b);
    const sock = FakeSocket.last;
    handshake(sock);
    expect(FakeSocket.instances).toHaveLength(1);
    expect(sock.ops("subscribe")).toHaveLength(1);

    sock.serverSend({ type: "event", channel: "backoffice", event: "e", data: 1, ts: "t" });
    expect(a).toHaveBeenCalledTimes(1);
    expect(b).toHaveBeenCalledTimes(1);

    offA();
    expect(sock.ops("unsubscribe")).toHaveLength(0);
    offB();
    expect(sock.ops("unsubscribe")).toEqual([{ op: "unsubscribe", channel: "backoffice" }]);
    vi.advanceTimersByTime(60);
    expect(sock.readyState).toBe(3);
  });

  it("answers pings with pongs", () => {
    const client = makeClient();
    client.subscribe("backoffice", () => {});
    const sock = FakeSocket.last;
    handshake(sock);
    sock.serverSend({ type: "ping" });
    expect(sock.ops("pong")).toHaveLength(1);
  });

  it("re-authenticates on the open connection when the token is refreshed", () => {
    const client = makeClient();
    client.subscribe("backoffice", () => {});
    const sock = FakeSocket.last;
    handshake(sock);
    changeToken("token-2");
    expect(sock.ops("auth")).toEqual([
      { op: "auth", token: "token-1" },
      { op: "auth", token: "token-2" },
    ]);
    expect(FakeSocket.instances).toHaveLength(1);
  });

  it("reports forbidden channels to the subscriber", () => {
    const client = makeClient();
    const onError = vi.fn();
    client.subscribe("backoffice", () => {}, onError);
    const sock = FakeSocket.last;
    handshake(sock);
    sock.serverSend({ type: "error", code: "forbidden_channel", channel: "backoffice" });
    expect(onError).toHaveBeenCalledWith("forbidden_channel");
  });

  it("backs off exponentially with jitter, capped", () => {
    const client = makeClient();
    expect(client.backoffDelay(0)).toBe(75); // 100/2 + 0.5 * 50
    expect(client.backoffDelay(1)).toBe(150);
    expect(client.backoffDelay(2)).toBe(300);
    expect(client.backoffDelay(10)).toBe(750); // capped at 1000
  });
});

describe("useChannel", () => {
  it("resubscribes every channel after a reconnect, with the current token", () => {
    const client = makeClient();
    setRealtimeClient(client);
    const onBackoffice = vi.fn();
    const onOrders = vi.fn();
    render(
      <>
        <Listener channel="backoffice" onEvent={onBackoffice} />
        <Listener channel="orders" onEvent={onOrders} />
      </>,
    );
    const first = FakeSocket.last;
    act(() => handshake(first));
    expect(first.ops("subscribe").map((m) => m.channel).sort()).toEqual(["backoffice", "orders"]);

    // the connection drops; meanwhile the access token was refreshed
    act(() => {
      first.drop();
      token = "token-2";
    });
    expect(client.state).toBe("reconnecting");
    expect(FakeSocket.instances).toHaveLength(1);
    act(() => vi.advanceTimersByTime(75));
    expect(FakeSocket.instances).toHaveLength(2);

    const second = FakeSocket.last;
    act(() => {
      second.open();
    });
    expect(second.sent[0]).toEqual({ op: "auth", token: "token-2" });
    expect(second.ops("subscribe")).toHaveLength(0); // not before ready
    act(() => second.serverSend({ type: "ready" }));
    expect(second.ops("subscribe").map((m) => m.channel).sort()).toEqual(["backoffice", "orders"]);

    act(() => second.serverSend({ type: "event", channel: "orders", event: "order.filled", data: {}, ts: "t" }));
    expect(onOrders).toHaveBeenCalledTimes(1);
    expect(onBackoffice).not.toHaveBeenCalled();
  });

  it("keeps retrying with growing delays while the server is down", () => {
    const client = makeClient();
    setRealtimeClient(client);
    render(<Listener channel="backoffice" onEvent={() => {}} />);
    act(() => FakeSocket.last.drop());
    act(() => vi.advanceTimersByTime(75));
    expect(FakeSocket.instances).toHaveLength(2);
    act(() => FakeSocket.last.drop());
    act(() => vi.advanceTimersByTime(149));
    expect(FakeSocket.instances).toHaveLength(2);
    act(() => vi.advanceTimersByTime(1));
    expect(FakeSocket.instances).toHaveLength(3);
    // a successful handshake resets the backoff
    act(() => handshake(FakeSocket.last));
    act(() => FakeSocket.last.drop());
    act(() => vi.advanceTimersByTime(75));
    expect(FakeSocket.instances).toHaveLength(4);
  });

  it("unsubscribes when the last component using a channel unmounts", () => {
    const client = makeClient();
    setRealtimeClient(client);
    const { rerender } = render(
      <>
        <Listener channel="backoffice" onEvent={() => {}} />
        <Listener channel="backoffice" onEvent={() => {}} />
      </>,
    );
    const sock = FakeSocket.last;
    act(() => handshake(sock));
    expect(sock.ops("subscribe")).toHaveLength(1);
    rerender(<Listener channel="backoffice" onEvent={() => {}} />);
    expect(sock.ops("unsubscribe")).toHaveLength(0);
    rerender(<></>);
    expect(sock.ops("unsubscribe")).toHaveLength(1);
  });
});

describe("public market data without a login", () => {
  const tick = { type: "event", channel: "ticker", event: "ticker", data: { last: "70.63" }, ts: "2025-01-01T00:00:00Z" };

  it("knows which channels are public (as the server does)", () => {
    for (const c of ["ticker", "book.EUA-EUR", "trades.CEA-EUR"]) expect(isPublicChannel(c)).toBe(true);
    for (const c of ["orders", "fills", "balances", "notifications", "backoffice", "book.eua-eur", "book.", "tickers"]) expect(isPublicChannel(c)).toBe(false);
  });

  it("goes in anonymously for public channels, and signs in when a session starts", () => {
    token = null;
    const client = makeClient();
    const seen: ChannelEvent[] = [];
    client.subscribe("ticker", (e) => seen.push(e));
    const sock = FakeSocket.last;
    sock.open();
    expect(sock.sent).toEqual([{ op: "anonymous" }]);
    sock.serverSend({ type: "ready", anonymous: true });
    expect(sock.ops("subscribe")).toEqual([{ op: "subscribe", channel: "ticker" }]);
    sock.serverSend({ type: "subscribed", channel: "ticker" });
    sock.serverSend(tick);
    expect(seen).toHaveLength(1);

    // A private channel waits for a login...
    client.subscribe("orders", () => undefined);
    expect(sock.ops("subscribe")).toHaveLength(1);
    // ...and is subscribed once signed in, on the same socket.
    changeToken("token-9");
    expect(sock.ops("auth")).toEqual([{ op: "auth", token: "token-9" }]);
    sock.serverSend({ type: "ready" });
    expect(sock.ops("subscribe")).toEqual([
      { op: "subscribe", channel: "ticker" },
      { op: "subscribe", channel: "orders" },
    ]);
    expect(FakeSocket.instances).toHaveLength(1);
  });

  it("waits for a session when a channel is private", () => {
    token = null;
    const client = makeClient();
    client.subscribe("ticker", () => undefined);
    client.subscribe("balances", () => undefined);
    const sock = FakeSocket.last;
    sock.open();
    expect(sock.sent).toEqual([]);
    changeToken("token-2");
    expect(sock.sent).toEqual([{ op: "auth", token: "token-2" }]);
  });

  it("goes on anonymously after signing out when only public channels are left", () => {
    const client = makeClient();
    client.subscribe("book.EUA-EUR", () => undefined);
    const first = FakeSocket.last;
    handshake(first);
    changeToken(null);
    expect(first.readyState).toBe(3);
    expect(FakeSocket.instances).toHaveLength(2);
    const second = FakeSocket.last;
    second.open();
    expect(second.sent).toEqual([{ op: "anonymous" }]);
    second.serverSend({ type: "ready", anonymous: true });
    expect(second.ops("subscribe")).toEqual([{ op: "subscribe", channel: "book.EUA-EUR" }]);
  });
});

