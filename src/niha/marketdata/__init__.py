"""Market data: order book snapshots, the trade tape, candles, tickers, statistics and the
public marketplace views. Read-only; built from the exchange's tables."""
