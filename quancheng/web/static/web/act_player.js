/* The act page's synchronised player (多机位同步播放): every camera of the act on one wall-clock
 * axis (web/act_player.py builds the data, web/_act_player.html the page).
 *
 * One clock, `now` (milliseconds since the epoch). The range input is the axis: moving it sets
 * the clock. Seeking inside one camera's video sets the clock to that camera's wall-clock time.
 * Every change of the clock places each lane: the segment covering `now` is loaded (its media
 * URL answers HTTP Range, so a seek fetches only what it needs) and sought to `now`; a lane with
 * no footage at `now` shows its gap. While playing, the clock follows the first lane that has
 * footage, or wall time across a gap where none has.
 *
 * Served by the platform itself (no CDN) and allowed by the CSP's script-src 'self'.
 */
(function () {
  "use strict";
  const root = document.getElementById("act-player");
  const source = document.getElementById("act-player-data");
  if (!root || !source) return;
  const data = JSON.parse(source.textContent);
  const span = data.end - data.start;
  const scrubber = document.getElementById("sync-scrubber");
  const clock = document.getElementById("sync-clock");
  const playButton = document.getElementById("sync-play");
  const ticks = document.getElementById("sync-ticks");
  const format = new Intl.DateTimeFormat("zh-CN", {
    timeZone: data.timezone, hour12: false, year: "numeric", month: "2-digit", day: "2-digit",
    hour: "2-digit", minute: "2-digit", second: "2-digit",
  });
  // A programmatic seek lands within this of its target; anything else is the user's.
  const OURS = 0.3;
  // A playing lane further than this from the clock is sought back into step.
  const DRIFT = 0.5;

  let now = data.start;
  let playing = false;
  let lastFrame = null;

  const pct = (t) => ((t - data.start) / span) * 100 + "%";

  const lanes = Array.from(root.querySelectorAll(".sync-lane")).map((el) => {
    const info = data.lanes[Number(el.dataset.lane)];
    const lane = {
      el: el,
      video: el.querySelector("video"),
      name: el.querySelector(".sync-lane-segment"),
      segments: info.segments,
      current: null,
      target: null,
    };
    const track = el.querySelector(".sync-lane-track");
    for (const s of info.segments) {
      const block = document.createElement("div");
      block.className = "sync-block" + (s.allowed ? "" : " sync-block-refused");
      block.style.left = pct(s.start);
      block.style.width = ((s.end - s.start) / span) * 100 + "%";
      block.title = s.label + (s.allowed ? "" : "（无权播放）");
      track.appendChild(block);
    }
    lane.video.addEventListener("loadedmetadata", () => {
      const target = lane.target;
      if (target !== null && Math.abs(lane.video.currentTime - target) > 0.05) {
        lane.video.currentTime = target;
      }
    });
    lane.video.addEventListener("seeked", () => {
      const target = lane.target;
      if (target !== null && Math.abs(lane.video.currentTime - target) < OURS) {
        lane.target = null;
        return;
      }
      if (!lane.current) return;
      // The user moved this camera: every other camera follows to the same moment.
      seek(lane.current.start + lane.video.currentTime * 1000, lane);
    });
    return lane;
  });

  for (const [list, kind] of [[data.documents, "document"], [data.markers, "marker"]]) {
    for (const item of list) {
      const tick = document.createElement("span");
      tick.className = "sync-tick sync-tick-" + kind;
      tick.style.left = pct(item.at);
      tick.title = format.format(new Date(item.at)) + " " + item.label;
      tick.dataset.at = String(item.at);
      ticks.appendChild(tick);
    }
  }
  document.getElementById("sync-axis-start").textContent = format.format(new Date(data.start));
  document.getElementById("sync-axis-end").textContent = format.format(new Date(data.end));
  scrubber.max = String(span / 1000);

  function segmentAt(lane, t) {
    return lane.segments.find((s) => s.allowed && t >= s.start && t < s.end) || null;
  }

  function place(lane, t, exact) {
    const segment = segmentAt(lane, t);
    if (!segment) {
      lane.current = null;
      lane.target = null;
      lane.el.dataset.state = "gap";
      lane.el.dataset.segment = "";
      lane.name.textContent = "";
      lane.video.hidden = true;
      if (!lane.video.paused) lane.video.pause();
      return;
    }
    const offset = (t - segment.start) / 1000;
    lane.el.dataset.state = "footage";
    lane.el.dataset.segment = String(segment.id);
    lane.name.textContent = segment.label;
    lane.video.hidden = false;
    if (lane.current !== segment) {
      lane.current = segment;
      lane.target = offset;
      lane.video.src = segment.src;
      lane.video.currentTime = offset;
    } else if (exact || Math.abs(lane.video.currentTime - offset) > DRIFT) {
      lane.target = offset;
      lane.video.currentTime = offset;
    }
    if (playing && lane.video.paused) lane.video.play().catch(() => {});
    if (!playing && !lane.video.paused) lane.video.pause();
  }

  function show() {
    scrubber.value = String((now - data.start) / 1000);
    clock.textContent = format.format(new Date(now));
    root.dataset.time = String(Math.round(now));
  }

  function seek(t, except) {
    now = Math.min(Math.max(t, data.start), data.end);
    for (const lane of lanes) if (lane !== except) place(lane, now, true);
    show();
  }

  function tick(frame) {
    if (!playing) return;
    const leader = lanes.find((l) => l.current && !l.video.paused && l.target === null);
    if (leader) {
      now = leader.current.start + leader.video.currentTime * 1000;
    } else if (lastFrame !== null) {
      now += frame - lastFrame;
    }
    lastFrame = frame;
    if (now >= data.end) {
      setPlaying(false);
      now = data.end;
    }
    for (const lane of lanes) place(lane, now, false);
    show();
    requestAnimationFrame(tick);
  }

  function setPlaying(on) {
    playing = on;
    lastFrame = null;
    root.dataset.state = on ? "playing" : "paused";
    playButton.textContent = on ? "暂停" : "播放";
    for (const lane of lanes) place(lane, now, false);
    if (on) requestAnimationFrame(tick);
  }

  scrubber.addEventListener("input", () => seek(data.start + Number(scrubber.value) * 1000, null));
  playButton.addEventListener("click", () => setPlaying(!playing));
  for (const lane of lanes) lane.video.controls = true;
  seek(data.start, null);
})();
