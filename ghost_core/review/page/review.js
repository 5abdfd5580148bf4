// GhostSwap review flipbook: draws per-frame stills on a canvas (frame-accurate, no video seeking).
// Everything is local: data.js sets window.GHOST_REVIEW; no network, no modules, no libraries.
(function () {
  "use strict";
  const data = window.GHOST_REVIEW;
  const canvas = document.getElementById("view");
  const ctx = canvas.getContext("2d");
  const $ = (id) => document.getElementById(id);
  const state = { index: 0, wipe: 0.5, matte: false, playing: false, loaded: 0 };
  const images = data.frames.map(() => ({}));

  function load(i, kind) {
    if (!images[i][kind]) {
      const img = new Image();
      images[i][kind] = img;
      img.src = data.frames[i][kind];
      img.decoded = img.decode().then(() => { state.loaded += 1; }, () => {});
    }
    return images[i][kind];
  }
  function loadFrame(i) {
    return Promise.all(["plate", "swap", "matte"].map((k) => load(i, k).decoded));
  }

  function draw() {
    const i = state.index;
    const f = data.frames[i];
    const plate = load(i, "plate"), swap = load(i, "swap"), matte = load(i, "matte");
    const w = canvas.width, h = canvas.height;
    const split = Math.round(state.wipe * w);
    ctx.globalAlpha = 1;
    ctx.drawImage(swap, 0, 0);
    if (split > 0) {
      ctx.save();
      ctx.beginPath();
      ctx.rect(0, 0, split, h);
      ctx.clip();
      ctx.drawImage(plate, 0, 0);
      ctx.restore();
    }
    if (state.matte) ctx.drawImage(matte, 0, 0);
    if (split > 0 && split < w) {
      ctx.fillStyle = "rgba(255,255,255,0.8)";
      ctx.fillRect(split, 0, 1, h);
    }
    $("frame").textContent = `frame ${f.frame}  (${i + 1}/${data.frames.length})`;
    $("scrub").value = String(i);
    $("wipe").value = String(Math.round(state.wipe * 1000));
    $("matte").checked = state.matte;
    const notes = $("notes");
    notes.textContent = "";
    for (const note of f.notes) {
      const li = document.createElement("li");
      li.textContent = note;
      if (/^warning|no face/.test(note)) li.className = "warn";
      notes.appendChild(li);
    }
    canvas.dataset.frame = String(f.frame);
  }

  // Show frame i once its three stills are decoded: what is drawn is always exactly frame i.
  let pending = Promise.resolve();
  function show(i) {
    const n = data.frames.length;
    const target = ((i % n) + n) % n;
    state.index = target;
    pending = loadFrame(target).then(() => { if (state.index === target) draw(); });
    if (target + 1 < n) loadFrame(target + 1);
    return pending;
  }

  let last = 0;
  function tick(now) {
    if (!state.playing) return;
    if (now - last >= 1000 / data.fps) {
      last = now;
      show(state.index + 1);
    }
    requestAnimationFrame(tick);
  }
  function setPlaying(on) {
    state.playing = on;
    $("play").textContent = on ? "pause" : "play";
    if (on) { last = 0; requestAnimationFrame(tick); }
  }
  function setWipe(v) { state.wipe = Math.min(1, Math.max(0, v)); draw(); }

  document.addEventListener("keydown", (e) => {
    const k = e.key;
    if (k === "ArrowRight") { setPlaying(false); show(state.index + 1); }
    else if (k === "ArrowLeft") { setPlaying(false); show(state.index - 1); }
    else if (k === "Home") { setPlaying(false); show(0); }
    else if (k === "End") { setPlaying(false); show(data.frames.length - 1); }
    else if (k === " ") { setPlaying(!state.playing); }
    else if (k === "a") setWipe(1);
    else if (k === "b") setWipe(0);
    else if (k === "w") setWipe(0.5);
    else if (k === "m") { state.matte = !state.matte; draw(); }
    else return;
    e.preventDefault();
  });
  $("play").addEventListener("click", () => setPlaying(!state.playing));
  $("prev").addEventListener("click", () => { setPlaying(false); show(state.index - 1); });
  $("next").addEventListener("click", () => { setPlaying(false); show(state.index + 1); });
  $("wipe").addEventListener("input", (e) => setWipe(Number(e.target.value) / 1000));
  $("matte").addEventListener("change", (e) => { state.matte = e.target.checked; draw(); });
  $("scrub").addEventListener("input", (e) => { setPlaying(false); show(Number(e.target.value)); });
  let dragging = false;
  function wipeAt(e) {
    const r = canvas.getBoundingClientRect();
    setWipe((e.clientX - r.left) / r.width);
  }
  canvas.addEventListener("mousedown", (e) => { dragging = true; wipeAt(e); });
  window.addEventListener("mouseup", () => { dragging = false; });
  canvas.addEventListener("mousemove", (e) => { if (dragging) wipeAt(e); });

  canvas.width = data.width;
  canvas.height = data.height;
  $("scrub").max = String(data.frames.length - 1);
  document.title = `${data.shot} · GhostSwap review`;
  $("title").textContent = `${data.shot} — ${data.frames.length} frames, ${data.swapper}`;
  $("meta").textContent = `model ${data.model_sha256 || "n/a"} · settings ${data.render_digest} · ` +
    `${data.display.display} / ${data.display.view}`;
  // Tests (and curious users) can read the state; the page never changes without a real event.
  window.ghostReview = { state, ready: show(0).then(() => true) };
})();
