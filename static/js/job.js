// Follows a queued or running extraction job through the API and reloads the
// page when it is done, so the result is rendered by the server.
(function () {
  "use strict";
  var card = document.getElementById("job");
  if (!card) { return; }
  var url = card.getAttribute("data-status-url");
  var shown = card.getAttribute("data-status");
  function set(id, value) {
    var el = document.getElementById(id);
    if (el && value !== null && value !== undefined) { el.textContent = value; }
  }
  function poll() {
    fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (job) {
        if (!job) { return setTimeout(poll, 5000); }
        if (job.status !== shown) { window.location.reload(); return; }
        set("position", job.position);
        set("eta", job.eta_seconds);
        setTimeout(poll, 2000);
      })
      .catch(function () { setTimeout(poll, 5000); });
  }
  setTimeout(poll, 1500);
})();
