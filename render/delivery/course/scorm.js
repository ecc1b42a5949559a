// A course unit over SCORM 1.2: finds the LMS's API the standard way (walking parent frames, then the opener),
// reports progress, the score and the resume position, and degrades to a plain player when there is no LMS.
function findScormApi(start) {
  for (let win = start, hops = 0; win && hops < 12; hops += 1) {
    try {
      if (win.API) return win.API;
    } catch (blocked) {
      return null;  // a frame of another origin: no API up there for us
    }
    if (win.parent === win) break;
    win = win.parent;
  }
  return null;
}

function scormTimespan(ms) {  // CMITimespan: HHHH:MM:SS.SS
  const hundredths = Math.round(ms / 10);
  const h = Math.floor(hundredths / 360000), m = Math.floor(hundredths / 6000) % 60, s = (hundredths % 6000) / 100;
  return `${String(h).padStart(4, "0")}:${String(m).padStart(2, "0")}:${s.toFixed(2).padStart(5, "0")}`;
}

function startCourseUnit(root, data, options) {
  const api = findScormApi(window) || (window.opener ? findScormApi(window.opener) : null);
  const status = document.getElementById("lms-status");
  const passMark = options.passMark;
  const total = (data.checkpoints || []).length;
  const rank = {"not attempted": 0, "": 0, "browsed": 0, "incomplete": 1, "completed": 2, "failed": 3, "passed": 3};
  let saved = {t: 0, w: 0, a: {}};
  let lessonStatus = "";
  let finished = false;
  const started = Date.now();
  if (api) {
    api.LMSInitialize("");
    lessonStatus = api.LMSGetValue("cmi.core.lesson_status") || "";
    try {
      saved = Object.assign(saved, JSON.parse(api.LMSGetValue("cmi.suspend_data") || "{}"));
    } catch (ignored) {
      saved = {t: 0, w: 0, a: {}};
    }
    const location = parseFloat(api.LMSGetValue("cmi.core.lesson_location") || "");
    if (Number.isFinite(location) && location > 0) saved.t = location;
    if ((rank[lessonStatus] || 0) < 1) setStatus("incomplete");
    api.LMSCommit("");
    status.textContent = "Your progress is saved to your course.";
  } else {
    status.textContent = "Playing without a course: nothing is recorded.";
  }

  function setStatus(value) {
    if (!api || (rank[value] || 0) < (rank[lessonStatus] || 0)) return;
    lessonStatus = value;
    api.LMSSetValue("cmi.core.lesson_status", value);
  }

  let watched = saved.w || 0;
  let lastSave = 0;
  function save(now, force) {
    if (!api || finished) return;
    if (!force && Date.now() - lastSave < 4000) return;
    lastSave = Date.now();
    api.LMSSetValue("cmi.suspend_data", JSON.stringify({t: Math.round(now * 100) / 100, w: Math.round(watched * 1000) / 1000,
                                                         a: player.answers}));
    api.LMSSetValue("cmi.core.lesson_location", String(Math.floor(now)));
    api.LMSCommit("");
  }

  function grade() {
    const answered = Object.keys(player.answers).length;
    if (total && answered >= total) {
      const right = Object.entries(player.answers).filter(([i, choice]) => data.checkpoints[i].answer === choice).length;
      const score = Math.round(100 * right / total);
      api.LMSSetValue("cmi.core.score.min", "0");
      api.LMSSetValue("cmi.core.score.max", "100");
      api.LMSSetValue("cmi.core.score.raw", String(score));
      setStatus(score >= passMark ? "passed" : "failed");
    } else if (watched >= 0.9) {
      setStatus("completed");
    }
  }

  const player = setupPlayer(root, data, {
    onAnswer: () => { if (api) { grade(); save(player.video.currentTime, true); } },
    onProgress: (share, now) => {
      watched = Math.max(watched, share);
      if (api) { grade(); save(now, false); }
    },
    onEnded: () => { if (api) { watched = 1; grade(); save(0, true); } },
  }, {time: saved.t, answers: saved.a || {}});
  player.setQuestions(true);

  function finish() {
    if (!api || finished) return;
    save(player.video.ended ? 0 : player.video.currentTime, true);
    api.LMSSetValue("cmi.core.session_time", scormTimespan(Date.now() - started));
    api.LMSSetValue("cmi.core.exit", lessonStatus === "passed" || lessonStatus === "completed" ? "" : "suspend");
    api.LMSCommit("");
    api.LMSFinish("");
    finished = true;
  }
  window.addEventListener("pagehide", finish);
  window.addEventListener("beforeunload", finish);
  return {api, finish, player};
}
