import { useEffect, useRef, useSyncExternalStore } from "react";
import { realtime, type ChannelEvent, type ConnectionState } from "./ws";

/**
 * Listen to a WebSocket channel while the component is mounted. The handler
 * may change between renders without resubscribing; subscriptions are
 * ref-counted per channel on the tab's single connection.
 */
export function useChannel(
  channel: string | null,
  onEvent: (event: ChannelEvent) => void,
  onError?: (code: string) => void,
): void {
  const handler = useRef(onEvent);
  const errorHandler = useRef(onError);
  useEffect(() => {
    handler.current = onEvent;
    errorHandler.current = onError;
  });
  useEffect(() => {
    if (!channel) return;
    return realtime().subscribe(
      channel,
      (e) => handler.current(e),
      (code) => errorHandler.current?.(code),
    );
  }, [channel]);
}

/** The state of the tab's WebSocket connection. */
export function useConnectionState(): ConnectionState {
  return useSyncExternalStore(
    (cb) => realtime().onStateChange(cb),
    () => realtime().state,
    () => "idle",
  );
}
