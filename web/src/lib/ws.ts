/**
 * One WebSocket per tab to /api/v1/ws, shared by every subscriber.
 *
 * - connects lazily on the first subscription and closes when the last one goes;
 * - authenticates with the current access token (`{"op":"auth"}`) and sends a
 *   new auth op whenever the token changes (silent refresh); without a token, a socket
 *   whose channels are all public market data goes in anonymously (`{"op":"anonymous"}`)
 *   and signs in once a token comes (private channels wait for it);
 * - reconnects with exponential backoff and jitter, then re-authenticates and
 *   resubscribes every channel that still has listeners;
 * - answers the server's pings.
 */
import { getAccessToken, subscribeSession } from "./session";

export interface ChannelEvent<T = unknown> {
  type: "event";
  channel: string;
  event: string;
  data: T;
  ts: string;
}

export type ConnectionState = "idle" | "connecting" | "open" | "reconnecting" | "closed";

type ServerMessage =
  | { type: "ready"; anonymous?: boolean }
  | { type: "subscribed"; channel: string }
  | { type: "unsubscribed"; channel: string; reason?: string }
  | { type: "error"; code: string; channel?: string; detail?: string }
  | { type: "ping" }
  | ChannelEvent;

export type EventHandler = (event: ChannelEvent) => void;
export type ChannelErrorHandler = (code: string) => void;

export interface SocketLike {
  readyState: number;
  onopen: ((ev: Event) => void) | null;
  onclose: ((ev: CloseEvent) => void) | null;
  onerror: ((ev: Event) => void) | null;
  onmessage: ((ev: MessageEvent) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

export interface RealtimeOptions {
  url?: string | (() => string);
  createSocket?: (url: string) => SocketLike;
  getToken?: () => string | null;
  onTokenChange?: (fn: () => void) => () => void;
  /** first retry delay, ms */
  baseDelay?: number;
  /** cap of the retry delay, ms */
  maxDelay?: number;
  random?: () => number;
  /** how long to keep an unused connection open, ms */
  idleCloseDelay?: number;
}

const OPEN = 1;

/** Market data, which a visitor without a login may receive (the server's rule:
 * niha.realtime.channels). */
export function isPublicChannel(name: string): boolean {
  return name === "ticker" || /^(book|trades)\.[A-Z0-9]{2,12}-[A-Z0-9]{2,12}$/.test(name);
}

export function defaultWsUrl(): string {
  const { protocol, host } = window.location;
  return `${protocol === "https:" ? "wss:" : "ws:"}//${host}/api/v1/ws`;
}

interface Channel {
  handlers: Set<EventHandler>;
  errorHandlers: Set<ChannelErrorHandler>;
  /** the server acknowledged the subscription on the current connection */
  subscribed: boolean;
}

export class RealtimeClient {
  private socket: SocketLike | null = null;
  private channels = new Map<string, Channel>();
  private ready = false;
  /** the socket is in without a login (public channels only) */
  private anonymous = false;
  private sentToken: string | null = null;
  private attempt = 0;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private idleTimer: ReturnType<typeof setTimeout> | null = null;
  private stateListeners = new Set<(s: ConnectionState) => void>();
  private unsubscribeToken: (() => void) | null = null;
  private _state: ConnectionState = "idle";
  private readonly opts: Required<Omit<RealtimeOptions, "url">> & { url: () => string };

  constructor(options: RealtimeOptions = {}) {
    const url = options.url ?? defaultWsUrl;
    this.opts = {
      url: typeof url === "string" ? () => url : url,
      createSocket: options.createSocket ?? ((u) => new WebSocket(u) as unknown as SocketLike),
      getToken: options.getToken ?? getAccessToken,
      onTokenChange: options.onTokenChange ?? ((fn) => subscribeSession(() => fn())),
      baseDelay: options.baseDelay ?? 500,
      maxDelay: options.maxDelay ?? 30_000,
      random: options.random ?? Math.random,
      idleCloseDelay: options.idleCloseDelay ?? 2_000,
    };
  }

  get state(): ConnectionState {
    return this._state;
  }

  onStateChange(fn: (s: ConnectionState) => void): () => void {
    this.stateListeners.add(fn);
    return () => this.stateListeners.delete(fn);
  }

  private setState(s: ConnectionState) {
    if (s === this._state) return;
    this._state = s;
    for (const fn of [...this.stateListeners]) fn(s);
  }

  /** Listen to a channel; returns the function that stops listening. */
  subscribe(name: string, handler: EventHandler, onError?: ChannelErrorHandler): () => void {
    let ch = this.channels.get(name);
    const isNew = !ch;
    if (!ch) {
      ch = { handlers: new Set(), errorHandlers: new Set(), subscribed: false };
      this.channels.set(name, ch);
    }
    ch.handlers.add(handler);
    if (onError) ch.errorHandlers.add(onError);
    this.cancelIdleClose();
    if (isNew && this.ready && this.mayAsk(name)) this.send({ op: "subscribe", channel: name });
    this.ensureConnected();

    return () => {
      const c = this.channels.get(name);
      if (!c) return;
      c.handlers.delete(handler);
      if (onError) c.errorHandlers.delete(onError);
      if (c.handlers.size === 0) {
        this.channels.delete(name);
        if (this.ready) this.send({ op: "unsubscribe", channel: name });
        if (this.channels.size === 0) this.scheduleIdleClose();
      }
    };
  }

  /** Channels with at least one listener. */
  get activeChannels(): string[] {
    return [...this.channels.keys()];
  }

  /** Whether the socket, as it is signed in now, may subscribe to `name`. */
  private mayAsk(name: string): boolean {
    return !this.anonymous || isPublicChannel(name);
  }

  private publicOnly(): boolean {
    return this.channels.size > 0 && [...this.channels.keys()].every(isPublicChannel);
  }

  private ensureConnected() {
    if (this.socket || this.retryTimer) return;
    if (!this.unsubscribeToken) {
      this.unsubscribeToken = this.opts.onTokenChange(() => this.onTokenChanged());
    }
    this.connect();
  }

  private connect() {
    this.retryTimer = null;
    if (this.channels.size === 0) return;
    this.setState(this.attempt === 0 ? "connecting" : "reconnecting");
    let sock: SocketLike;
    try {
      sock = this.opts.createSocket(this.opts.url());
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.socket = sock;
    this.ready = false;
    this.anonymous = false;
    sock.onopen = () => this.authenticate();
    sock.onmessage = (ev) => this.onMessage(ev);
    sock.onerror = () => {
      /* a close event follows */
    };
    sock.onclose = () => {
      if (this.socket !== sock) return;
      this.socket = null;
      this.ready = false;
      this.anonymous = false;
      this.sentToken = null;
      for (const ch of this.channels.values()) ch.subscribed = false;
      if (this.channels.size > 0) this.scheduleReconnect();
      else this.setState("closed");
    };
  }

  private authenticate() {
    const token = this.opts.getToken();
    if (token) {
      this.sentToken = token;
      this.send({ op: "auth", token });
    } else if (this.publicOnly()) {
      this.send({ op: "anonymous" });
    }
    // else: a private channel waits for a session; onTokenChanged sends it
  }

  private onTokenChanged() {
    const token = this.opts.getToken();
    if (!token) {
      // signed out: drop the signed-in connection, keep listeners for the next session;
      // public market data goes on anonymously
      if (this.socket && !this.anonymous) {
        const s = this.socket;
        this.socket = null;
        this.ready = false;
        this.sentToken = null;
        s.close(1000, "signed out");
        this.setState("closed");
      }
      if (!this.socket && !this.retryTimer && this.publicOnly()) this.connect();
      return;
    }
    if (this.socket && this.socket.readyState === OPEN && token !== this.sentToken) {
      this.authenticate();
    } else if (!this.socket && !this.retryTimer && this.channels.size > 0) {
      this.connect();
    }
  }

  private onMessage(ev: MessageEvent) {
    let msg: ServerMessage;
    try {
      msg = JSON.parse(String(ev.data)) as ServerMessage;
    } catch {
      return;
    }
    switch (msg.type) {
      case "ping":
        this.send({ op: "pong" });
        break;
      case "ready": {
        this.ready = true;
        this.anonymous = msg.anonymous === true;
        this.attempt = 0;
        this.setState("open");
        // The first time, or signed in after an anonymous start: what is not subscribed yet.
        for (const [name, ch] of this.channels) {
          if (!ch.subscribed && this.mayAsk(name)) this.send({ op: "subscribe", channel: name });
        }
        break;
      }
      case "subscribed": {
        const ch = this.channels.get(msg.channel);
        if (ch) ch.subscribed = true;
        break;
      }
      case "unsubscribed": {
        const ch = this.channels.get(msg.channel);
        if (ch) ch.subscribed = false;
        break;
      }
      case "error": {
        const ch = msg.channel ? this.channels.get(msg.channel) : undefined;
        if (ch) for (const fn of [...ch.errorHandlers]) fn(msg.code);
        break;
      }
      case "event": {
        const ch = this.channels.get(msg.channel);
        if (ch) for (const fn of [...ch.handlers]) fn(msg);
        break;
      }
      default:
        break;
    }
  }

  private send(payload: Record<string, unknown>) {
    if (this.socket && this.socket.readyState === OPEN) this.socket.send(JSON.stringify(payload));
  }

  /** Delay before reconnect attempt n (0-based): "equal jitter" exponential backoff. */
  backoffDelay(attempt: number): number {
    const cap = Math.min(this.opts.maxDelay, this.opts.baseDelay * 2 ** attempt);
    return Math.round(cap / 2 + this.opts.random() * (cap / 2));
  }

  private scheduleReconnect() {
    this.setState("reconnecting");
    const delay = this.backoffDelay(this.attempt);
    this.attempt += 1;
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }

  private scheduleIdleClose() {
    this.cancelIdleClose();
    this.idleTimer = setTimeout(() => this.close(), this.opts.idleCloseDelay);
  }

  private cancelIdleClose() {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
  }

  /** Close the connection and stop reconnecting (listeners are kept only if resubscribed). */
  close() {
    this.cancelIdleClose();
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.attempt = 0;
    const s = this.socket;
    this.socket = null;
    this.ready = false;
    this.sentToken = null;
    if (s) s.close(1000, "bye");
    this.unsubscribeToken?.();
    this.unsubscribeToken = null;
    this.setState(this.channels.size > 0 ? "closed" : "idle");
  }
}

let shared: RealtimeClient | null = null;

/** The tab's single connection. */
export function realtime(): RealtimeClient {
  if (!shared) shared = new RealtimeClient();
  return shared;
}

/** For tests: replace the shared client. */
export function setRealtimeClient(client: RealtimeClient | null): void {
  shared?.close();
  shared = client;
}
