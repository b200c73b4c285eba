// A form is sent once: after the first submit its buttons are disabled until the next page.
// (The server refuses a second send of the same form anyway, see planner/submissions.py;
// this spares the user the wait and the note.)
"use strict";
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (event.defaultPrevented) return; // htmx sent it in the background: the page stays in use
  if (form.dataset.sent === "1") {
    event.preventDefault();
    return;
  }
  form.dataset.sent = "1";
  // After this event, so the clicked button's own name and value are still sent.
  window.setTimeout(() => {
    form.querySelectorAll("button[type=submit], input[type=submit]").forEach((button) => {
      button.disabled = true;
    });
  }, 0);
});
// Coming back with the browser's Back button shows the page as it was left: make it usable again.
window.addEventListener("pageshow", (event) => {
  if (!event.persisted) return;
  document.querySelectorAll("form[data-sent]").forEach((form) => {
    delete form.dataset.sent;
    form.querySelectorAll("button[type=submit], input[type=submit]").forEach((button) => {
      button.disabled = false;
    });
  });
});
// Dates as YYYY-MM-DD in every language: a text field with a picker (vanillajs-datepicker, vendored),
// keyboard entry kept. The picker speaks the page's language.
document.addEventListener("DOMContentLoaded", () => {
  if (typeof Datepicker === "undefined") return;
  const language = document.documentElement.lang.startsWith("zh") ? "zh-CN" : "en";
  document.querySelectorAll("input[data-datepicker]").forEach((input) => {
    new Datepicker(input, { format: "yyyy-mm-dd", language, autohide: true, weekStart: 1, buttonClass: "btn" });
  });
});
