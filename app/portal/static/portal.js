// The live meter of the choice form: points left and what the choice would cost.
// Display only: the server checks every rule (warnings arrive through htmx as you type).
(function () {
  "use strict";
  function money(minor, currency) {
    return (minor / 100).toLocaleString(document.documentElement.lang, {
      minimumFractionDigits: 2, maximumFractionDigits: 2 }) + " " + currency;
  }
  function update(form) {
    var points = 0, cost = 0;
    form.querySelectorAll("input.points").forEach(function (input) {
      var value = parseInt(input.value, 10);
      if (!(value > 0)) { return; }
      points += value;
      var units = form.querySelector('input.units[data-code="' + input.dataset.code + '"]');
      var count = units ? Math.max(parseInt(units.value, 10) || 1, 1) : 1;
      cost += parseInt(input.dataset.cost, 10) * count;
    });
    var total = parseInt(form.dataset.points, 10);
    form.querySelector("#points-left").textContent = String(total - points);
    form.querySelector("#choice-cost").textContent = money(cost, form.dataset.currency);
    var allowance = form.dataset.allowance === "" ? null : parseInt(form.dataset.allowance, 10);
    form.querySelector("#over-allowance").hidden = allowance === null || cost <= allowance;
  }
  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("choice");
    if (!form) { return; }
    form.addEventListener("input", function () { update(form); });
    update(form);
  });
})();
