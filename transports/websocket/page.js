// WebSocket in the browser: one socket, one message per frame.
CLIENTS["websocket"] = {
  colour: "#1f77b4",
  start(t) {
    const s = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + t.path);
    s.onopen = () => t.opens++;
    s.onmessage = e => record(t, e.data);
    s.onerror = () => t.errors.push("websocket error");
    return { stop() { s.close(); } };
  },
};
