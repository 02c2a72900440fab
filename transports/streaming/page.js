// HTTP streaming in the browser: one fetch, its body read as a stream of lines.
CLIENTS["streaming"] = {
  colour: "#2ca02c",
  start(t) { streamLoop(t, t.path).catch(e => t.errors.push(String(e))); return {}; },
};
