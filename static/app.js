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

  function alertsRegion() { return document.getElementById("alerts"); }

  // Confirmations fade after a while; problems stay until dismissed.
  function tidyAlerts() {
    var region = alertsRegion();
    if (!region) return;
    Array.prototype.forEach.call(region.querySelectorAll(".alert"), function (box) {
      if (box.dataset.tidied) return;
      box.dataset.tidied = "1";
      var close = document.createElement("button");
      close.type = "button";
      close.className = "dismiss";
      close.setAttribute("aria-label", "Dismiss");
      close.textContent = "×";
      close.addEventListener("click", function () { box.remove(); });
      box.appendChild(close);
      if (box.classList.contains("alert-ok")) {
        setTimeout(function () {
          box.classList.add("leaving");
          setTimeout(function () { box.remove(); }, 450);
        }, 8000);
      }
    });
  }
  tidyAlerts();
  document.body.addEventListener("htmx:afterSettle", tidyAlerts);

  // On a phone the navigation scrolls sideways: show the current page's item, not always the first ones.
  var currentItem = document.querySelector(".nav [aria-current]");
  if (currentItem && currentItem.parentElement.scrollWidth > currentItem.parentElement.clientWidth) {
    var nav = currentItem.parentElement;
    nav.scrollLeft = currentItem.offsetLeft - nav.offsetLeft - (nav.clientWidth - currentItem.offsetWidth) / 2;
  }

  function showProblem(text) {
    var region = alertsRegion();
    if (!region) return;
    var box = document.createElement("p");
    box.className = "alert alert-error";
    box.setAttribute("role", "alert");
    box.textContent = text;
    region.replaceChildren(box);
    tidyAlerts();
  }

  // When the server sends an error message to #alerts, move focus there so
  // screen readers and keyboard users notice it.
  document.body.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail.target && event.detail.target.id === "alerts") {
      event.detail.target.setAttribute("tabindex", "-1");
      event.detail.target.focus();
      tidyAlerts();
    }
  });

  // A server error that did not come from the app (a proxy's 502, a crash
  // before our error page) must never replace the form being filled in: keep
  // the page as it is and say what happened.
  document.body.addEventListener("htmx:beforeSwap", function (event) {
    var xhr = event.detail.xhr;
    if (xhr.status >= 500 && !xhr.getResponseHeader("HX-Retarget")) {
      event.detail.shouldSwap = false;
      event.detail.isError = false;
      showProblem("The clinic server had a problem (" + xhr.status + "). Nothing was lost: what you typed is " +
        "still here. Try again in a moment.");
    }
  });

  // A request that never reached the server (offline, server restarting).
  document.body.addEventListener("htmx:sendError", function () {
    showProblem("Could not reach the clinic server. Check the connection and try again; what you typed is still here.");
  });
  document.body.addEventListener("htmx:timeout", function () {
    showProblem("The clinic server took too long to answer. Try again; what you typed is still here.");
  });
})();

// Visit notes autosave section by section (hx-trigger on each textarea). Whatever stops a save (no
// network, a server error, a newer version saved elsewhere) leaves the text where it is and says so
// beside the section; the next keystroke tries again.
(function () {
  var UNSAVED = "Not saved — your text is kept.";
  function statusOf(element) {
    var form = element && element.closest ? element.closest("[data-autosave]") : null;
    return form ? form.querySelector("[data-save-status]") : null;
  }
  function mark(element, text, saved) {
    var status = statusOf(element);
    if (!status) return;
    status.textContent = text;
    status.classList.toggle("unsaved", !saved);
    status.classList.toggle("saved", !!saved);
  }
  document.body.addEventListener("htmx:beforeRequest", function (event) {
    if (statusOf(event.detail.elt)) mark(event.detail.elt, "Saving…", true);
  });
  ["htmx:sendError", "htmx:timeout"].forEach(function (name) {
    document.body.addEventListener(name, function (event) {
      mark(event.detail.elt, UNSAVED + " The clinic server could not be reached; keep typing to try again.", false);
    });
  });
  document.body.addEventListener("htmx:beforeSwap", function (event) {
    var xhr = event.detail.xhr;
    if (statusOf(event.detail.elt) && xhr.status >= 500) {
      mark(event.detail.elt, UNSAVED + " The server had a problem (" + xhr.status + ").", false);
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
  if (!input) return;
  var active = -1;
  // The results list is replaced by each answer (outerHTML): look it up each time.
  function results() { return document.getElementById("search-results"); }

  function options() { return Array.prototype.slice.call(results().querySelectorAll("[role=option][href]")); }

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
    results().innerHTML = "";
    input.setAttribute("aria-expanded", "false");
    active = -1;
  }

  document.body.addEventListener("htmx:afterSettle", function (event) {
    if (!event.detail.target || event.detail.target.id !== "search-results") return;
    var open = results().children.length > 0 && input.value.trim().length >= 2;
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
    if (!results().contains(event.target) && event.target !== input) close();
  });
})();

// Print buttons (no inline onclick: CSP).
document.addEventListener("click", function (event) {
  if (event.target.closest && event.target.closest("[data-print]")) window.print();
});
