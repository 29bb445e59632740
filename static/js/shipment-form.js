// Quicker shipment entry when JavaScript is on; the form works the same without it.
// - "Add more lines" adds a blank row at once instead of asking the server.
// - Choosing an item shows its catalogue unit, value and currency as the placeholders.
(function () {
  "use strict";
  var form = document.getElementById("shipment-form");
  if (!form) { return; }
  var body = form.querySelector("#lines tbody");

  function showDefaults(select) {
    var row = select.closest("tr");
    var option = select.options[select.selectedIndex];
    var hints = option ? option.dataset : {};
    var value = row.querySelector("input[name$='-unit_value']");
    var currency = row.querySelector("input[name$='-currency']");
    var unit = row.querySelector("select[name$='-unit']");
    if (value) { value.placeholder = hints.unitValue || ""; }
    if (currency) { currency.placeholder = hints.currency || ""; }
    if (unit && unit.options.length) {
      var label = unit.options[0].dataset.label || unit.options[0].textContent;
      unit.options[0].dataset.label = label;
      unit.options[0].textContent = hints.unit ? label + " (" + hints.unit + ")" : label;
    }
    row.classList.toggle("line-medical", hints.medical === "1");
  }

  function renumber() {
    body.querySelectorAll("tr.line-row").forEach(function (row, index) {
      row.querySelector(".line-number").textContent = String(index + 1);
    });
  }

  function addRow() {
    var rows = body.querySelectorAll("tr.line-row");
    var last = rows[rows.length - 1];
    var next = 0;
    rows.forEach(function (row) {
      var input = row.querySelector("[name^='lines-']");
      var match = input && /^lines-(\d+)-/.exec(input.name);
      if (match) { next = Math.max(next, Number(match[1]) + 1); }
    });
    var copy = last.cloneNode(true);
    copy.querySelectorAll("[name], [id], label[for], [aria-describedby]").forEach(function (el) {
      ["name", "id", "for", "aria-describedby"].forEach(function (attribute) {
        var value = el.getAttribute(attribute);
        if (value) { el.setAttribute(attribute, value.replace(/lines-\d+-/g, "lines-" + next + "-")); }
      });
    });
    copy.querySelectorAll("input").forEach(function (input) {
      if (input.type === "checkbox") { input.checked = false; } else { input.value = ""; }
      input.classList.remove("is-invalid");
      input.removeAttribute("aria-invalid");
    });
    copy.querySelectorAll("select").forEach(function (select) {
      select.selectedIndex = select.name.endsWith("-funding") ? select.selectedIndex : 0;
      select.classList.remove("is-invalid");
    });
    copy.querySelectorAll(".invalid-feedback").forEach(function (el) { el.remove(); });
    body.appendChild(copy);
    renumber();
    var first = copy.querySelector("select");
    if (first) { first.focus(); }
  }

  body.addEventListener("change", function (event) {
    var target = event.target;
    if (target.matches("select[name$='-item']")) { showDefaults(target); }
    if (target.matches(".line-remove")) {
      target.closest("tr").classList.toggle("line-removed", target.checked);
    }
  });
  body.querySelectorAll("select[name$='-item']").forEach(showDefaults);

  var add = form.querySelector("[name='add_lines']");
  if (add) {
    add.addEventListener("click", function (event) {
      event.preventDefault();
      addRow();
    });
  }
}());
