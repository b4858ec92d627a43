// Clinic: the little script the pages need. No inline scripts anywhere (CSP).
"use strict";

(function () {
  var csrfMeta = document.querySelector('meta[name="csrf-token"]');

  // Every state-changing HTMX request carries the CSRF token as a header.
  document.body.addEventListener("htmx:configRequest", function (event) {
    if (csrfMeta && event.detail.verb !== "get") {
      event.detail.headers["X-CSRFToken"] = csrfMeta.getAttribute("content");
    }
  });

  // When the server swaps a message into #alerts, move focus there so screen
  // readers and keyboard users notice it.
  document.body.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail.target && event.detail.target.id === "alerts") {
      event.detail.target.setAttribute("tabindex", "-1");
      event.detail.target.focus();
    }
  });

  // A request that never reached the server (offline, server restarting).
  document.body.addEventListener("htmx:sendError", function () {
    var alerts = document.getElementById("alerts");
    if (alerts) {
      alerts.innerHTML = "";
      var box = document.createElement("div");
      box.className = "alert alert-error";
      box.setAttribute("role", "alert");
      box.textContent = "Could not reach the clinic server. Check the connection and try again.";
      alerts.appendChild(box);
    }
  });
})();
