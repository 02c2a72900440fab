// JSONP polling in the browser: a <script> element per poll whose answer
// calls a global function, as pages did before fetch and CORS.
CLIENTS["jsonp-polling"] = {
  colour: "#8c564b",
  start(t, env) {
    let cursor = null, n = 0;
    const poll = () => {
      if (!running) return;
      const name = "rtbJsonp" + (n++);
      const s = document.createElement("script");
      window[name] = arr => {
        delete window[name];
        s.remove();
        if (t.opens === 0) t.opens = 1;
        cursor = arr[0];
        for (const rec of arr.slice(1)) record(t, rec);
        setTimeout(poll, env.pollMs);
      };
      s.onerror = () => { delete window[name]; s.remove(); t.errors.push("script load failed"); setTimeout(poll, 500); };
      s.src = t.path + "?callback=" + name + (cursor === null ? "" : "&cursor=" + cursor);
      document.head.appendChild(s);
    };
    poll();
    return {};
  },
};
