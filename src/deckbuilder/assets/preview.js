// Search, tag filter and the light/night switch (the note type's own .nightMode rules).
(function () {
  const body = document.body;
  const button = document.getElementById("night");
  const setNight = (on) => {
    body.classList.toggle("nightMode", on);
    body.classList.toggle("night_mode", on);
    button.setAttribute("aria-pressed", String(on));
    try { localStorage.setItem("deckbuilder-night", on ? "1" : "0"); } catch (e) { /* file:// may forbid */ }
  };
  const params = new URLSearchParams(location.search);
  let stored = null;
  try { stored = localStorage.getItem("deckbuilder-night"); } catch (e) { /* ignore */ }
  setNight(params.has("night") ? params.get("night") !== "0" : stored === "1");
  button.addEventListener("click", () => setNight(!body.classList.contains("nightMode")));

  const search = document.getElementById("search");
  const tag = document.getElementById("tag");
  const shown = document.getElementById("shown");
  const filter = () => {
    const words = search.value.toLowerCase().split(/\s+/).filter(Boolean);
    const wanted = tag.value;
    let count = 0;
    for (const card of document.querySelectorAll(".pv-card")) {
      const text = card.dataset.search;
      const tags = card.dataset.tags.split(" ");
      const ok = words.every((w) => text.includes(w)) && (!wanted || tags.includes(wanted));
      card.hidden = !ok;
      if (ok) count += 1;
    }
    for (const section of document.querySelectorAll(".subdeck")) {
      section.hidden = !section.querySelector(".pv-card:not([hidden])");
    }
    shown.textContent = String(count);
  };
  search.addEventListener("input", filter);
  tag.addEventListener("change", filter);
})();
