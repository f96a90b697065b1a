// A build's progress: ask for the log lines not yet shown every half second until the build ends,
// then show what it wrote or what stopped it.
"use strict";
(function () {
  const job = document.getElementById("job");
  if (!job || job.dataset.finished === "true" || !window.fetch) return;
  const lines = document.getElementById("job-lines");
  const state = document.getElementById("job-state");
  let seen = parseInt(job.dataset.count, 10) || 0;

  function text(tag, value) {
    const element = document.createElement(tag);
    element.textContent = value;
    return element;
  }

  function show(view) {
    view.lines.forEach(function (line) { lines.appendChild(text("li", line)); });
    seen = view.count;
    if (!view.finished) return false;
    // The finished page (done or failed, with downloads and problems) comes from the server.
    window.location.reload();
    return true;
  }

  function poll() {
    fetch(job.dataset.status + "?since=" + seen, { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : Promise.reject(response.status); })
      .then(function (view) {
        if (view.state === "running") state.textContent = state.dataset.running || state.textContent;
        if (!show(view)) setTimeout(poll, 500);
      })
      .catch(function () { setTimeout(poll, 2000); });
  }
  setTimeout(poll, 300);
})();
