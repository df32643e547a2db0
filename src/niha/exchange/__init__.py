"""Exchange: instruments, orders, the matching engine, trades and fees.

``niha.exchange.matching`` is the pure price-time matcher (no I/O, no clock, no
randomness) and ``niha.exchange.fees`` the pure fee arithmetic; the database, API
and market-data layers build on them. Importing this package imports nothing else.
"""
