// The appointment book: drag an appointment to another time or provider, drag
// its bottom edge to change its length, and let the booking form's length
// follow the chosen type. Loaded only on the book's pages. Every drop posts
// the same move form the appointment's page has (the keyboard way), so a
// conflict comes back as the same message; nothing here decides anything.
"use strict";

(function () {
  // The move, as the appointment page's form would send it; the answer is the book again.
  function post(appointment, values) {
    var url = appointment.dataset.moveUrl;
    var book = document.getElementById("book");
    if (!url || !book) return;
    values.return_to = book.dataset.returnTo;
    if (window.htmx) {
      window.htmx.ajax("POST", url, { source: book, target: "#book", swap: "outerHTML", values: values });
      return;
    }
    var form = document.createElement("form");
    form.method = "post";
    form.action = url;
    var csrf = document.querySelector('meta[name="csrf-token"]');
    values._csrf_token = csrf ? csrf.getAttribute("content") : "";
    Object.keys(values).forEach(function (name) {
      var input = document.createElement("input");
      input.type = "hidden";
      input.name = name;
      input.value = values[name];
      form.appendChild(input);
    });
    document.body.appendChild(form);
    form.submit();
  }

  function current(appointment) {
    var data = appointment.dataset;
    return { revision: data.revision, day: data.day, time: data.time, minutes: data.minutes,
             provider_id: data.providerId, room_id: data.roomId || "" };
  }

  var dragged = null;

  document.addEventListener("dragstart", function (event) {
    var appointment = event.target.closest && event.target.closest(".appt[data-movable]");
    if (!appointment || resizing) return;
    dragged = appointment;
    appointment.classList.add("dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", appointment.dataset.appointmentId);
  });

  document.addEventListener("dragend", function () {
    if (dragged) dragged.classList.remove("dragging");
    dragged = null;
    document.querySelectorAll(".slot.drop-target").forEach(function (slot) { slot.classList.remove("drop-target"); });
  });

  // Drop onto any slot of the grid, free or not: the server judges conflicts.
  function slotAt(event) {
    var target = event.target.closest && event.target.closest(".slot");
    return target && dragged ? target : null;
  }

  document.addEventListener("dragover", function (event) {
    var slot = slotAt(event);
    if (!slot) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    document.querySelectorAll(".slot.drop-target").forEach(function (other) {
      if (other !== slot) other.classList.remove("drop-target");
    });
    slot.classList.add("drop-target");
  });

  document.addEventListener("drop", function (event) {
    var slot = slotAt(event);
    if (!slot) return;
    event.preventDefault();
    var values = current(dragged);
    values.day = slot.dataset.day;
    values.time = slot.dataset.time;
    values.provider_id = slot.dataset.providerId;
    post(dragged, values);
  });

  // Resizing: a handle on the bottom edge of each movable appointment.
  var resizing = null;

  function addHandles(root) {
    (root || document).querySelectorAll(".appt[data-movable]").forEach(function (appointment) {
      if (appointment.querySelector(".resize-handle")) return;
      var handle = document.createElement("span");
      handle.className = "resize-handle";
      handle.setAttribute("aria-hidden", "true");
      handle.title = "Drag to change the length";
      appointment.appendChild(handle);
    });
  }

  function rowHeight(appointment) {
    var grid = appointment.closest(".book-grid");
    var label = grid && grid.querySelector(".time-label");
    return label ? label.getBoundingClientRect().height : 20;
  }

  document.addEventListener("pointerdown", function (event) {
    var handle = event.target.closest && event.target.closest(".resize-handle");
    if (!handle) return;
    event.preventDefault();
    var appointment = handle.closest(".appt");
    resizing = { appointment: appointment, startY: event.clientY, startHeight: appointment.getBoundingClientRect().height,
                 step: parseInt(appointment.closest(".book-grid").dataset.step || "15", 10), row: rowHeight(appointment) };
    appointment.draggable = false;
  });

  document.addEventListener("pointermove", function (event) {
    if (!resizing) return;
    var height = Math.max(resizing.row, resizing.startHeight + event.clientY - resizing.startY);
    resizing.appointment.style.height = height + "px";  // CSSOM, not an inline style attribute from the server
  });

  document.addEventListener("pointerup", function (event) {
    if (!resizing) return;
    var state = resizing;
    resizing = null;
    var rows = Math.round((state.startHeight + event.clientY - state.startY) / state.row);
    var minutes = Math.max(1, rows) * state.step;
    state.appointment.draggable = true;
    if (minutes === parseInt(state.appointment.dataset.minutes, 10)) {
      state.appointment.style.height = "";
      return;
    }
    var values = current(state.appointment);
    values.minutes = String(minutes);
    post(state.appointment, values);
  });

  // A click that ended a resize must not open the appointment.
  document.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest(".resize-handle")) event.preventDefault();
  }, true);

  // The booking form: choosing a type sets the length, unless someone typed one.
  document.addEventListener("change", function (event) {
    var select = event.target;
    if (!select.matches || !select.matches("select[data-minutes-from-type]")) return;
    var option = select.options[select.selectedIndex];
    var minutes = select.form && select.form.elements.minutes;
    if (minutes && option && option.dataset.minutes && !minutes.dataset.typed) minutes.value = option.dataset.minutes;
  });
  document.addEventListener("input", function (event) {
    if (event.target.name === "minutes" && event.target.form && event.target.form.hasAttribute("data-booking-form")) {
      event.target.dataset.typed = "1";
    }
  });

  // Enter in the booking form's patient search searches (htmx does), it does not book.
  document.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && event.target.name === "patient_q") event.preventDefault();
  });

  addHandles();
  document.body.addEventListener("htmx:afterSettle", function () { addHandles(); });
})();
