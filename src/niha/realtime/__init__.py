"""Real time: the WebSocket hub, channel rules and pub/sub fan-out across processes."""
