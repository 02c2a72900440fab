// long polling in the browser: fetch GET /lp again as soon as it answers.
CLIENTS["long-polling"] = {
  colour: "#ff7f0e",
  start(t) { batchLoop(t, t.path, 0); return {}; },
};
