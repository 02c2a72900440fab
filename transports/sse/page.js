// SSE in the browser: EventSource, which reconnects by itself and resumes
// with Last-Event-ID (so the page drops it halfway to prove it).
CLIENTS["sse"] = {
  colour: "#9467bd",
  resumes: true,
  start(t) {
    const es = new EventSource(t.path);
    es.onopen = () => t.opens++;
    es.onmessage = e => record(t, e.data);
    return { stop() { es.close(); } };
  },
};
