// Search as you type: after a short pause, ask the server for the results of the form as it stands and
// put them in place. Without this script the form still works (a normal GET on "Search").
"use strict";
(function () {
  const form = document.getElementById("search-form");
  const results = document.getElementById("results");
  if (!form || !results || !window.fetch) return;
  let timer = null;
  let asked = 0;

  function refresh() {
    const query = new URLSearchParams(new FormData(form)).toString();
    const number = ++asked;
    fetch(form.dataset.results + "?" + query, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (response) { return response.ok ? response.text() : Promise.reject(response.status); })
      .then(function (html) {
        if (number !== asked) return; // an older answer arriving late
        // The same results again (e.g. the search box losing focus): keep them, and the focus in them.
        if (html === results.dataset.shown) return;
        results.dataset.shown = html;
        results.innerHTML = html;
        history.replaceState(null, "", form.action + "?" + query);
      })
      .catch(function () { /* the "Search" button still works */ });
  }

  function soon() {
    clearTimeout(timer);
    timer = setTimeout(refresh, 150);
  }

  form.addEventListener("input", soon);
  // A select or a box that was changed; the search box's own change (on leaving it) is already searched.
  form.addEventListener("change", function (event) { if (event.target.type !== "search") soon(); });
  form.addEventListener("submit", function (event) { event.preventDefault(); refresh(); });
  const search = document.getElementById("q");
  search.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && search.value) { search.value = ""; soon(); }
  });
})();
