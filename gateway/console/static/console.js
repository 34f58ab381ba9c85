// Flowport console: the only script. Pages work without it; it adds live updates, JSON
// checking in the editors, confirmations and the start form's per-component options.
(function () {
  "use strict";

  // Live regions: the body's data-refresh (ms) re-reads this page and swaps every element
  // marked data-live, unless the user is typing in one or has paused updates.
  var period = Number(document.body.dataset.refresh || 0);
  var paused = false;
  function busy() {
    var active = document.activeElement;
    return active && active.closest && active.closest("[data-live]") && /INPUT|TEXTAREA|SELECT/.test(active.tagName);
  }
  function refresh() {
    if (paused || document.hidden || busy()) { return schedule(); }
    fetch(location.href, { headers: { "X-Requested-With": "flowport-console" }, credentials: "same-origin" })
      .then(function (answer) { return answer.ok || answer.status === 404 ? answer.text() : null; })
      .then(function (html) {
        if (!html) { return; }
        var fresh = new DOMParser().parseFromString(html, "text/html");
        document.querySelectorAll("[data-live]").forEach(function (old) {
          var next = fresh.getElementById(old.id);
          if (next) {
            var open = Array.prototype.map.call(old.querySelectorAll("details"), function (d) { return d.open; });
            old.replaceWith(next);
            next.querySelectorAll("details").forEach(function (d, i) { if (i < open.length) { d.open = open[i]; } });
          }
        });
        if (!fresh.body.dataset.refresh) { period = 0; document.body.removeAttribute("data-refresh"); }
        document.dispatchEvent(new CustomEvent("flowport:refreshed"));
      })
      .catch(function () { /* the gateway may be restarting: try again later */ })
      .finally(schedule);
  }
  function schedule() { if (period > 0) { setTimeout(refresh, period); } }
  if (period > 0) {
    var toggle = document.querySelector("[data-live-toggle]");
    if (toggle) {
      toggle.parentElement.hidden = false;
      toggle.addEventListener("click", function () {
        paused = !paused;
        toggle.textContent = paused ? "Resume updates" : "Pause updates";
      });
    }
    schedule();
  }

  // JSON editors: say at once whether the text is valid JSON; "Format" indents it.
  function check(area) {
    var state = area.parentElement.querySelector(".json-state");
    var text = area.value.trim();
    var error = null;
    if (text) { try { JSON.parse(text); } catch (e) { error = e.message; } }
    area.classList.toggle("invalid", !!error);
    area.setCustomValidity(error ? "Not valid JSON: " + error : "");
    if (state) {
      state.textContent = error ? "Not valid JSON: " + error : (text ? "Valid JSON" : "Empty: no value is sent");
      state.classList.toggle("invalid", !!error);
    }
  }
  document.querySelectorAll("textarea[data-json]").forEach(function (area) {
    area.addEventListener("input", function () { check(area); });
    check(area);
  });
  document.querySelectorAll("[data-json-format]").forEach(function (button) {
    button.addEventListener("click", function () {
      var area = button.closest("form").querySelector("textarea[data-json]");
      try { area.value = JSON.stringify(JSON.parse(area.value), null, 2); } catch (e) { /* shown already */ }
      check(area);
    });
  });

  // Destructive single-instance actions ask first.
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.dataset.confirm)) { event.preventDefault(); }
    });
  });

  // The start form: the chosen component's options and workflow names.
  var chooser = document.querySelector("[data-options-switch]");
  function choose() {
    var option = chooser.selectedOptions[0];
    document.querySelectorAll("[data-options-for]").forEach(function (set) {
      set.hidden = set.dataset.optionsFor !== chooser.value;
    });
    var list = document.getElementById("start-workflows");
    list.innerHTML = "";
    (option.dataset.workflows || "").split(",").filter(Boolean).forEach(function (name) {
      var item = document.createElement("option");
      item.value = name;
      list.appendChild(item);
    });
  }
  if (chooser) { chooser.addEventListener("change", choose); choose(); }
})();
