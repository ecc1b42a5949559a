
const cards = Array.from(document.querySelectorAll(".card"));
const buttons = Array.from(document.querySelectorAll(".filters button"));
const showing = document.getElementById("showing");
function applyFilter(category) {
  let shown = 0;
  for (const card of cards) {
    const visible = !category || card.dataset.category === category;
    card.hidden = !visible;
    if (visible) shown += 1;
  }
  for (const button of buttons) button.setAttribute("aria-pressed", String(button.dataset.filter === category));
  showing.textContent = shown === cards.length ? `Showing all ${shown}` : `Showing ${shown} of ${cards.length}`;
}
for (const button of buttons) button.addEventListener("click", () => applyFilter(button.dataset.filter));
for (const button of document.querySelectorAll("button.seek")) {
  button.addEventListener("click", () => {
    const video = document.getElementById(button.dataset.video);
    video.currentTime = Number(button.dataset.seek);
    video.play().catch(() => {});
  });
}
function copyText(text, source) {
  if (navigator.clipboard && window.isSecureContext) return navigator.clipboard.writeText(text);
  const range = document.createRange();
  range.selectNodeContents(source);
  const selection = window.getSelection();
  selection.removeAllRanges();
  selection.addRange(range);
  return document.execCommand("copy") ? Promise.resolve() : Promise.reject(new Error("copy refused"));
}
for (const button of document.querySelectorAll("button.copy")) {
  button.addEventListener("click", () => {
    const code = document.getElementById(button.dataset.target);
    const label = button.textContent;
    copyText(code.textContent, code)
      .then(() => { button.textContent = "Copied"; })
      .catch(() => { button.textContent = "Press Ctrl+C to copy"; })
      .finally(() => setTimeout(() => { button.textContent = label; }, 1800));
  });
}
if (location.protocol === "file:") document.getElementById("file-note").hidden = false;
for (const root of document.querySelectorAll("figure.player")) {
  const video = root.querySelector("video");
  setupPlayer(root, JSON.parse(document.getElementById("cues-" + video.id.slice(6)).textContent));
}
