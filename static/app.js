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

// A button with data-confirm asks before its (non-htmx) form is sent.
document.addEventListener("submit", function (event) {
  var button = event.submitter;
  if (button && button.dataset.confirm && !window.confirm(button.dataset.confirm)) {
    event.preventDefault();
  }
});

// Automatic sign-out after a period without activity, with a warning first.
// The server enforces the limit; this only tells the person in time and lets
// them stay. Asking the server how long is left does not count as activity,
// so another tab's work keeps this one signed in too.
(function () {
  var body = document.body;
  var idle = parseInt(body.dataset.idleSeconds || "0", 10);
  var warnBefore = parseInt(body.dataset.warningSeconds || "60", 10);
  var dialog = document.getElementById("idle-warning");
  if (!idle || !dialog) return;
  var countdown = document.getElementById("idle-countdown");
  var csrf = document.querySelector('meta[name="csrf-token"]');
  var warnTimer = null, endTimer = null, tick = null, deadline = 0;

  function signInAgain() {
    var next = encodeURIComponent(window.location.pathname);
    window.location.assign("/signin?reason=idle&next=" + next);
  }

  function schedule(secondsLeft) {
    clearTimeout(warnTimer); clearTimeout(endTimer); clearInterval(tick);
    deadline = Date.now() + secondsLeft * 1000;
    warnTimer = setTimeout(checkThenWarn, Math.max(0, secondsLeft - warnBefore) * 1000);
    endTimer = setTimeout(checkThenLeave, secondsLeft * 1000 + 500);
  }

  function serverSecondsLeft() {
    return fetch("/session/status", { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) { return response.ok ? response.json() : { seconds_left: 0 }; })
      .then(function (data) { return data.seconds_left; })
      .catch(function () { return null; });
  }

  function checkThenWarn() {
    serverSecondsLeft().then(function (left) {
      if (left !== null && left > warnBefore + 5) { schedule(left); return; }  // active in another tab
      showWarning();
    });
  }

  function checkThenLeave() {
    serverSecondsLeft().then(function (left) {
      if (left !== null && left > 5) { hideWarning(); schedule(left); return; }
      signInAgain();
    });
  }

  function showWarning() {
    if (!dialog.open) dialog.showModal();
    clearInterval(tick);
    tick = setInterval(function () {
      var seconds = Math.max(0, Math.round((deadline - Date.now()) / 1000));
      countdown.textContent = seconds + " second" + (seconds === 1 ? "" : "s");
    }, 1000);
  }

  function hideWarning() {
    clearInterval(tick);
    if (dialog.open) dialog.close();
  }

  document.getElementById("idle-stay").addEventListener("click", function () {
    fetch("/session/keepalive", {
      method: "POST", credentials: "same-origin",
      headers: { "X-CSRFToken": csrf ? csrf.getAttribute("content") : "" }
    }).then(function (response) {
      if (response.status === 204) { hideWarning(); schedule(idle); } else { signInAgain(); }
    });
  });
  dialog.addEventListener("cancel", function (event) { event.preventDefault(); });

  // Any request to the server counts as activity: restart the clock.
  document.body.addEventListener("htmx:afterRequest", function () { hideWarning(); schedule(idle); });
  schedule(idle);
})();

// The header patient search: results as a listbox under the box; arrows move,
// Enter opens the chart, Escape closes. The server answers POSTs (typed names
// never go into URLs), and hx-sync makes the newest answer win.
(function () {
  var input = document.getElementById("patient-search");
  var results = document.getElementById("search-results");
  if (!input || !results) return;
  var active = -1;

  function options() { return Array.prototype.slice.call(results.querySelectorAll("[role=option][href]")); }

  function setActive(index) {
    var list = options();
    list.forEach(function (el) { el.classList.remove("active"); el.removeAttribute("aria-selected"); });
    if (!list.length) { active = -1; input.removeAttribute("aria-activedescendant"); return; }
    active = (index + list.length) % list.length;
    list[active].classList.add("active");
    list[active].setAttribute("aria-selected", "true");
    input.setAttribute("aria-activedescendant", list[active].id);
    list[active].scrollIntoView({ block: "nearest" });
  }

  function close() {
    results.innerHTML = "";
    input.setAttribute("aria-expanded", "false");
    active = -1;
  }

  document.body.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail.target !== results) return;
    var open = results.children.length > 0 && input.value.trim().length >= 2;
    input.setAttribute("aria-expanded", open ? "true" : "false");
    if (open && options().length) setActive(0);
  });

  input.addEventListener("keydown", function (event) {
    if (event.key === "ArrowDown") { event.preventDefault(); setActive(active + 1); }
    else if (event.key === "ArrowUp") { event.preventDefault(); setActive(active - 1); }
    else if (event.key === "Enter") {
      var list = options();
      if (active >= 0 && list[active]) { event.preventDefault(); window.location.assign(list[active].href); }
    } else if (event.key === "Escape") { close(); }
  });

  input.addEventListener("input", function () { if (input.value.trim().length < 2) close(); });
  document.addEventListener("click", function (event) {
    if (!results.contains(event.target) && event.target !== input) close();
  });
})();

// Print buttons (no inline onclick: CSP).
document.addEventListener("click", function (event) {
  if (event.target.closest && event.target.closest("[data-print]")) window.print();
});
