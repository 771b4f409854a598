// Live countdowns for [data-deadline] and a self-refresh for [data-reload-after];
// the server-rendered text stays correct without JavaScript.
(function () {
  "use strict";
  function words(ms) {
    var m = Math.max(0, Math.round(ms / 60000));
    var d = Math.floor(m / 1440), h = Math.floor((m % 1440) / 60), min = m % 60;
    var parts = [];
    if (d) { parts.push(d + (d === 1 ? " day" : " days")); }
    if (h) { parts.push(h + (h === 1 ? " hour" : " hours")); }
    if (!d) { parts.push(min + (min === 1 ? " minute" : " minutes")); }
    return parts.join(", ");
  }
  var clocks = document.querySelectorAll("[data-deadline]");
  function tick() {
    for (var i = 0; i < clocks.length; i++) {
      var at = Date.parse(clocks[i].getAttribute("data-deadline"));
      if (!isNaN(at)) { clocks[i].textContent = words(at - Date.now()); }
    }
  }
  if (clocks.length) { tick(); setInterval(tick, 30000); }
  var reload = document.querySelector("[data-reload-after]");
  if (reload) {
    var s = parseInt(reload.getAttribute("data-reload-after"), 10) || 15;
    setTimeout(function () { window.location.reload(); }, s * 1000);
  }
})();
