// The explainer player: one <figure class="player"> per video (the gallery's cards, a course package's page).
//
// * Captions: at card size the frame's caption band is cropped off (CSS) and the current caption is text
//   under the picture; in full screen the whole frame shows (drawn captions), or the captions track.
// * Questions: with the switch on, the video pauses at each checkpoint, asks it beside the picture (never over
//   it), takes an answer by mouse or keyboard (Tab and Enter, or the digit keys), says right or wrong with the
//   one-line why, and plays on. Off, it plays straight through.
// * hooks (optional): onAnswer(index, checkpoint, choice, correct), onProgress(watchedShare, currentTime),
//   onEnded(); resume: {time, answers: {index: choice}} to start from.
function setupPlayer(root, data, hooks = {}, resume = {}) {
  const video = root.querySelector("video");
  const line = root.querySelector(".caption-line");
  const quiz = root.querySelector(".quiz");
  const toggle = root.querySelector(".questions-toggle");
  const fromDisk = location.protocol === "file:";
  if (fromDisk) {  // browsers refuse <track> files on file:// pages: add the same cues from the inline data
    const added = video.addTextTrack(data.kind, "English", "en");
    for (const cue of data.captions) added.addCue(new VTTCue(cue.start, cue.end, cue.text));
    const chapters = video.addTextTrack("chapters", "Chapters", "en");
    for (const ch of data.chapters) chapters.addCue(new VTTCue(ch.start, ch.end, ch.title));
  }

  // --- captions ---------------------------------------------------------------------------------------
  const captions = () => Array.from(video.textTracks).filter(t => t.kind === data.kind && t.language === "en");
  const show = () => {
    const cues = captions().flatMap(t => Array.from(t.activeCues || [], c => c.text.replace(/\s+/g, " ")));
    line.textContent = cues.length ? cues[cues.length - 1] : "";
  };
  const arm = () => {
    const full = document.fullscreenElement === video;
    for (const track of captions()) {
      track.mode = full && data.kind === "captions" ? "showing" : "hidden";
      track.oncuechange = show;
    }
    show();
  };
  video.textTracks.addEventListener("addtrack", arm);
  document.addEventListener("fullscreenchange", arm);
  video.addEventListener("seeked", show);
  arm();

  // --- questions ----------------------------------------------------------------------------------------
  const checkpoints = data.checkpoints || [];
  const answers = Object.assign({}, resume.answers || {});
  let asking = null;
  let watched = 0;  // the furthest point played through, in seconds
  let last = video.currentTime;
  const on = () => toggle && toggle.getAttribute("aria-pressed") === "true";
  if (toggle) {
    toggle.hidden = checkpoints.length === 0;
    toggle.addEventListener("click", () => {
      toggle.setAttribute("aria-pressed", String(!on()));
      toggle.textContent = on() ? "Questions: on" : "Questions: off";
    });
  }

  function ask(index) {
    const cp = checkpoints[index];
    asking = index;
    video.pause();
    quiz.hidden = false;
    quiz.replaceChildren();
    const prompt = document.createElement("p");
    prompt.className = "prompt";
    prompt.id = `${video.id}-q${index}`;
    prompt.textContent = cp.prompt;
    const group = document.createElement("div");
    group.className = "choices";
    group.setAttribute("role", "group");
    group.setAttribute("aria-labelledby", prompt.id);
    cp.choices.forEach((text, i) => {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "choice";
      button.dataset.index = String(i);
      button.textContent = `${i + 1}. ${text}`;
      button.addEventListener("click", () => answer(index, i));
      group.append(button);
    });
    quiz.append(prompt, group);
    group.querySelector("button").focus();
  }

  function answer(index, choice) {
    const cp = checkpoints[index];
    const correct = choice === cp.answer;
    answers[index] = choice;
    for (const button of quiz.querySelectorAll("button.choice")) {
      button.disabled = true;
      if (Number(button.dataset.index) === cp.answer) button.classList.add("right");
      if (Number(button.dataset.index) === choice && !correct) button.classList.add("wrong");
    }
    const verdict = document.createElement("p");
    verdict.className = correct ? "verdict right" : "verdict wrong";
    verdict.textContent = (correct ? "Right. " : `Not quite: ${cp.choices[cp.answer]}. `) + cp.why;
    const next = document.createElement("button");
    next.type = "button";
    next.className = "continue";
    next.textContent = "Continue";
    next.addEventListener("click", () => {
      asking = null;
      quiz.hidden = true;
      quiz.replaceChildren();
      video.play().catch(() => {});
    });
    quiz.append(verdict, next);
    next.focus();
    if (hooks.onAnswer) hooks.onAnswer(index, cp, choice, correct);
  }

  quiz.addEventListener("keydown", event => {
    if (asking === null || !/^[1-9]$/.test(event.key)) return;
    const choice = Number(event.key) - 1;
    const button = quiz.querySelector(`button.choice[data-index="${choice}"]`);
    if (button && !button.disabled) {
      event.preventDefault();
      answer(asking, choice);
    }
  });

  // Checked on every animation frame while playing: the pause lands within a frame of the checkpoint.
  function tick() {
    const now = video.currentTime;
    if (!video.paused && asking === null) {
      if (now > last && now - last < 1.0) watched = Math.max(watched, now);
      if (on()) {
        const due = checkpoints.findIndex((cp, i) => !(i in answers) && cp.time > last - 1e-3 && cp.time <= now);
        if (due >= 0) ask(due);
      }
      if (hooks.onProgress) hooks.onProgress(Math.min(1, watched / (video.duration || Infinity)), now);
    }
    last = now;
    requestAnimationFrame(tick);
  }
  video.addEventListener("seeked", () => { last = video.currentTime; });
  video.addEventListener("ended", () => {
    watched = video.duration || watched;
    if (hooks.onProgress) hooks.onProgress(1, video.currentTime);
    if (hooks.onEnded) hooks.onEnded();
  });
  if (resume.time) {
    const start = () => { video.currentTime = resume.time; last = resume.time; };
    if (video.readyState >= 1) start(); else video.addEventListener("loadedmetadata", start, {once: true});
  }
  requestAnimationFrame(tick);
  return {video, answers, setQuestions: value => {
    if (toggle) { toggle.setAttribute("aria-pressed", String(value)); toggle.textContent = value ? "Questions: on" : "Questions: off"; }
  }};
}
