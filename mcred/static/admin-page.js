// mcred admin pages: the small script behind /admin (mcred/admin_page.py).
// Progressive enhancement only: every form works without it. Two jobs, each started by what
// the server put in the page:
//   [data-focus]        move the focus to the message about what just happened;
//   #cohort[data-poll]  follow a cohort job: its counts and progress bar, once a second.
// Only numbers from this origin's JSON are written into the page (as text).
"use strict";

(function () {
  var notice = document.querySelector("[data-focus]");
  if (notice) {
    notice.focus();
  }

  function cohort(region) {
    var url = region.getAttribute("data-poll");
    var every = 1000 * (parseInt(region.getAttribute("data-poll-seconds"), 10) || 1);
    var bar = document.getElementById("progress");
    var visual = bar.querySelector("progress");
    var label = document.getElementById("progress-text");
    var status = document.getElementById("cohort-status");

    function number(value) {
      var n = parseInt(value, 10);
      return isNaN(n) || n < 0 ? 0 : n;
    }

    function show(job) {
      var total = number(job.total);
      var processed = total - number(job.remaining);
      var text = region
        .getAttribute("data-text")
        .replace("{processed}", String(processed))
        .replace("{total}", String(total));
      bar.setAttribute("aria-valuemax", String(total));
      bar.setAttribute("aria-valuenow", String(processed));
      bar.setAttribute("aria-valuetext", text);
      visual.value = total === 0 ? 100 : Math.floor((100 * processed) / total);
      label.textContent = text;
      ["total", "done", "failed", "invalid", "remaining"].forEach(function (name) {
        var cell = region.querySelector('[data-count="' + name + '"]');
        if (cell) {
          cell.textContent = String(number(job[name]));
        }
      });
    }

    function tick() {
      fetch(url, { headers: { Accept: "application/json" }, cache: "no-store" })
        .then(function (response) {
          if (!response.ok) {
            throw new Error(String(response.status));
          }
          return response.json();
        })
        .then(function (job) {
          show(job);
          if (job.finished) {
            status.textContent = region.getAttribute("data-finished");
            region.setAttribute("data-status", "finished");
            return;
          }
          window.setTimeout(tick, every);
        })
        .catch(function () {
          status.textContent = region.getAttribute("data-failed");
          region.setAttribute("data-status", "failed");
        });
    }
    window.setTimeout(tick, every);
  }

  var region = document.getElementById("cohort");
  if (region && region.hasAttribute("data-poll")) {
    cohort(region);
  }
})();
