// htmlfile in the browser: a hidden iframe whose document never ends; each
// message is a <script> in it calling a function of this page, as Comet
// pages did before XHR streaming worked everywhere. A page cannot tell when
// such a document's connection is cut (Chromium leaves it "loading": no load
// event, no responseEnd), so, as Comet clients did, a watchdog loads it
// again from the last message after 2 s without a script.
CLIENTS["htmlfile"] = {
  colour: "#e377c2",
  resumes: true,
  start(t) {
    let heard = performance.now();
    window.rtbHtmlfile = rec => { heard = performance.now(); record(t, rec); };
    const f = document.createElement("iframe");
    f.style.display = "none";
    const load = () => {
      t.opens++;
      heard = performance.now();
      f.src = t.path + "?callback=rtbHtmlfile" + (t.last ? "&since=" + t.last : "");
    };
    load(); // src before the iframe is in the page: no about:blank load first
    document.body.appendChild(f);
    const watch = setInterval(() => { if (running && performance.now() - heard > 2000) load(); }, 250);
    return { stop() { clearInterval(watch); f.remove(); } };
  },
};
