// XHR multipart in the browser: Firefox's `multipart = true` XHR is gone, so
// a fetch reads the multipart/x-mixed-replace body as a stream and takes each
// part as its delimiter arrives (the same parts that browser handed over).
CLIENTS["xhr-multipart"] = {
  colour: "#7f7f7f",
  start(t) { multipartLoop(t).catch(e => t.errors.push(String(e))); return {}; },
};

async function multipartLoop(t) {
  const r = await fetch(t.path, { cache: "no-store" });
  t.opens++;
  const reader = r.body.getReader(), dec = new TextDecoder();
  let buf = "", state = "delimiter";
  while (running) {
    const { value, done } = await reader.read();
    if (done) break;
    buf += dec.decode(value, { stream: true });
    let nl;
    while ((nl = buf.indexOf("\n")) >= 0) {
      const line = buf.slice(0, nl).replace(/\r$/, "");
      buf = buf.slice(nl + 1);
      if (state === "delimiter") {
        if (line !== "--rtb") throw new Error("multipart: expected the delimiter, got " + line.slice(0, 80));
        state = "headers";
      } else if (state === "headers") {
        if (line === "") state = "body";
      } else {
        record(t, line);
        state = "delimiter";
      }
    }
  }
  reader.cancel();
}
