// The page at /: pick or drop an image, read it as a page or a line, see the boxes and the text.
// Nothing is loaded from outside this server; text from the server is only ever set as textContent.
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  const input = $("file"), drop = $("drop"), statusLine = $("status"), canvas = $("canvas");
  const textArea = $("text"), list = $("lines"), copyButton = $("copy");
  let current = null; // {file, bitmap}
  let latest = 0;      // the newest read: answers to older ones (a file or mode changed meanwhile) are dropped

  function say(message, isError) {
    statusLine.textContent = message;
    statusLine.classList.toggle("error", Boolean(isError));
  }

  function mode() { return document.querySelector("input[name=mode]:checked").value; }

  async function showModel() {
    try {
      const info = await (await fetch("/v1/models")).json();
      const m = info.models[0];
      $("model").textContent = `model ${m.name} · ${m.backbone || "?"} · ${m.num_classes - 1} characters`;
    } catch (err) { /* the page still works without the model line */ }
  }

  // bitmap: the image, or null when the browser cannot show its format (then a white sheet of the page's size).
  function draw(bitmap, lines, size) {
    canvas.width = bitmap ? bitmap.width : (size && size.width) || 0;
    canvas.height = bitmap ? bitmap.height : (size && size.height) || 0;
    const g = canvas.getContext("2d");
    if (bitmap) g.drawImage(bitmap, 0, 0);
    else { g.fillStyle = "#fff"; g.fillRect(0, 0, canvas.width, canvas.height); }
    const thick = Math.max(1, Math.round(Math.max(canvas.width, canvas.height) / 800));
    g.lineWidth = thick;
    g.font = `${Math.max(11, 6 * thick + 6)}px system-ui, sans-serif`;
    lines.forEach((line, k) => {
      if (!line.box) return;
      g.strokeStyle = "#c62828";
      g.beginPath();
      line.box.forEach(([x, y], i) => (i ? g.lineTo(x, y) : g.moveTo(x, y)));
      g.closePath();
      g.stroke();
      const [x, y] = line.box[0];
      const label = String(k + 1);
      const w = g.measureText(label).width + 4, h = Math.max(11, 6 * thick + 6);
      g.fillStyle = "rgba(21, 101, 192, .85)";
      g.fillRect(x - w - 1, Math.max(0, y - h / 2), w, h);
      g.fillStyle = "#fff";
      g.fillText(label, x - w + 1, Math.max(h - 2, y + h / 2 - 3));
    });
  }

  function showLines(lines) {
    list.replaceChildren(...lines.map((line) => {
      const item = document.createElement("li");
      item.textContent = line.text;
      const conf = document.createElement("span");
      conf.className = "conf" + (line.confidence < 0.8 ? " low" : "");
      conf.textContent = line.confidence.toFixed(2);
      item.append(conf);
      return item;
    }));
  }

  async function read() {
    if (!current) return;
    const mine = ++latest;
    const asPage = mode() === "page";
    const form = new FormData();
    form.append("file", current.file, current.file.name || "image");
    const query = $("ascii").checked ? "?ascii=true" : "";
    say(`Reading ${current.file.name || "the image"} as ${asPage ? "a page" : "a line"}…`);
    textArea.value = "";
    list.replaceChildren();
    copyButton.disabled = true;
    document.body.dataset.state = "reading";
    const started = performance.now();
    try {
      const response = await fetch((asPage ? "/v1/page" : "/v1/lines") + query, { method: "POST", body: form });
      const body = await response.json().catch(() => ({ detail: `HTTP ${response.status}` }));
      if (mine !== latest) return;
      if (!response.ok) {
        throw new Error(typeof body.detail === "string" ? body.detail : `HTTP ${response.status}`);
      }
      const lines = asPage ? body.lines : body.lines.map((l) => ({ ...l, box: null }));
      const text = asPage ? body.text : lines.map((l) => l.text).join("\n");
      draw(current.bitmap, lines, asPage ? body : null);
      textArea.value = text;
      showLines(lines);
      copyButton.disabled = !text;
      const seconds = ((performance.now() - started) / 1000).toFixed(2);
      const turned = asPage && body.rotated_180 ? " (the page was upside down)" : "";
      say(asPage && !lines.length ? "No text lines found on this page."
        : `${lines.length} line${lines.length === 1 ? "" : "s"} read in ${seconds} s${turned}.`);
      document.body.dataset.state = "done";
    } catch (err) {
      if (mine !== latest) return;
      say(`Could not read it: ${err.message}`, true);
      document.body.dataset.state = "error";
    }
  }

  async function choose(file) {
    if (!file) return;
    try {
      current = { file, bitmap: await createImageBitmap(file) };
    } catch (err) {
      current = { file, bitmap: null };
    }
    draw(current.bitmap, []);  // null (e.g. a TIFF the browser cannot show): the server may still read it
    await read();
  }

  input.addEventListener("change", () => choose(input.files[0]));
  drop.addEventListener("keydown", (e) => { if (e.key === "Enter" || e.key === " ") input.click(); });
  ["dragenter", "dragover"].forEach((t) => drop.addEventListener(t, (e) => { e.preventDefault(); drop.classList.add("over"); }));
  ["dragleave", "drop"].forEach((t) => drop.addEventListener(t, (e) => { e.preventDefault(); drop.classList.remove("over"); }));
  drop.addEventListener("drop", (e) => choose(e.dataTransfer.files[0]));
  document.querySelectorAll("input[name=mode], #ascii").forEach((el) => el.addEventListener("change", read));
  copyButton.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(textArea.value);
    } catch (err) {  // no clipboard API (plain http on another host): select and copy
      textArea.select();
      document.execCommand("copy");
    }
    say("Text copied.");
  });
  showModel();
})();
