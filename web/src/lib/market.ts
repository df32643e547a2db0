/** How often a visitor's market data is fetched again: market data is public, but the
 * live WebSocket needs a login, so the public pages poll. */
export const PUBLIC_REFRESH_MS = 15_000;
