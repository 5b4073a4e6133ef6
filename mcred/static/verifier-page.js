// mcred verifier page: the small script behind /verify (mcred/verifier_page.py).
// Progressive enhancement only: every form works without it. Three jobs, each started by
// what the server put in the page:
//   #result[data-poll]  poll a presentation request's answer and show it (no reload);
//   #result[data-share] post a share link (its key is in the fragment) and show the result;
//   #camera-start       scan a QR code with the camera (BarcodeDetector), then submit it.
// The HTML shown comes from this origin, rendered and escaped by the server.
"use strict";

(function () {
  function show(region, html) {
    region.innerHTML = html;
  }

  function poll(region) {
    var url = region.getAttribute("data-poll");
    var every = 1000 * (parseInt(region.getAttribute("data-poll-seconds"), 10) || 2);
    function tick() {
      fetch(url, { headers: { Accept: "application/json" }, cache: "no-store" })
        .then(function (response) {
          if (response.status === 404) {
            return null;
          }
          return response.json();
        })
        .then(function (body) {
          if (body === null) {
            return; // the request is gone: stop
          }
          if (body.status === "pending") {
            window.setTimeout(tick, every);
            return;
          }
          var ask = document.getElementById("request-ask");
          if (ask) {
            ask.hidden = true;
          }
          show(region, body.html);
          region.setAttribute("data-status", body.status);
        })
        .catch(function () {
          window.setTimeout(tick, every * 2);
        });
    }
    window.setTimeout(tick, every);
  }

  function share(region) {
    if (window.location.hash.length < 2) {
      region.textContent = region.getAttribute("data-no-key");
      return;
    }
    fetch(region.getAttribute("data-share"), {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      // the share link itself: without this page's own query (?lang=…)
      body: JSON.stringify({
        url: window.location.origin + window.location.pathname + window.location.hash,
      }),
      cache: "no-store",
      credentials: "omit",
    })
      .then(function (response) {
        return response.json();
      })
      .then(function (body) {
        show(region, body.html);
        region.setAttribute("data-status", body.status);
      })
      .catch(function () {
        region.textContent = region.getAttribute("data-failed");
      });
  }

  function camera(button) {
    var form = document.getElementById("camera-form");
    var video = document.getElementById("camera-video");
    var status = document.getElementById("camera-status");
    var field = document.getElementById("camera-text");
    if (!("BarcodeDetector" in window) || !navigator.mediaDevices) {
      return; // no camera scanning here: the upload form stays
    }
    form.hidden = false;
    var stream = null;
    var detector = null;

    function stop() {
      if (stream) {
        stream.getTracks().forEach(function (track) {
          track.stop();
        });
      }
      stream = null;
      video.hidden = true;
      button.textContent = button.getAttribute("data-start");
    }

    function look() {
      if (!stream) {
        return;
      }
      detector
        .detect(video)
        .then(function (codes) {
          var found = codes.find(function (code) {
            return code.rawValue;
          });
          if (found) {
            field.value = found.rawValue;
            stop();
            form.submit();
          } else {
            window.setTimeout(look, 300);
          }
        })
        .catch(function () {
          window.setTimeout(look, 500);
        });
    }

    button.addEventListener("click", function () {
      if (stream) {
        stop();
        return;
      }
      try {
        detector = new window.BarcodeDetector({ formats: ["qr_code"] });
      } catch (error) {
        status.textContent = button.getAttribute("data-unavailable");
        return;
      }
      navigator.mediaDevices
        .getUserMedia({ video: { facingMode: "environment" }, audio: false })
        .then(function (media) {
          stream = media;
          video.srcObject = media;
          video.hidden = false;
          button.textContent = button.getAttribute("data-stop");
          status.textContent = button.getAttribute("data-looking");
          return video.play();
        })
        .then(look)
        .catch(function () {
          stop();
          status.textContent = button.getAttribute("data-unavailable");
        });
    });
  }

  var region = document.getElementById("result");
  if (region && region.hasAttribute("data-poll")) {
    poll(region);
  }
  if (region && region.hasAttribute("data-share")) {
    share(region);
  }
  var start = document.getElementById("camera-start");
  if (start) {
    camera(start);
  }
})();
