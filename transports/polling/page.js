// polling in the browser: fetch GET /poll every interval (?poll=MS on the page).
CLIENTS["polling"] = {
  colour: "#d62728",
  start(t, env) { batchLoop(t, t.path, env.pollMs); return {}; },
};
