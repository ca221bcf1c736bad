/* Keyboard use of the place search (ui/map.py): the results are plain buttons in a list; the arrow keys
 * move between the search box and them, Escape goes back to the box. Enter/Space are the buttons' own.
 */
(function () {
  "use strict";

  function results() {
    return Array.prototype.slice.call(document.querySelectorAll("#plan-results button"));
  }

  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (!target || (event.key !== "ArrowDown" && event.key !== "ArrowUp" && event.key !== "Escape")) { return; }
    var box = document.getElementById("plan-search");
    if (target === box) {
      if (event.key === "ArrowDown") {
        var first = results()[0];
        if (first) { event.preventDefault(); first.focus(); }
      }
      return;
    }
    if (!target.closest || !target.closest("#plan-results")) { return; }
    var buttons = results();
    var i = buttons.indexOf(target);
    if (event.key === "Escape") {
      if (box) { event.preventDefault(); box.focus(); }
    } else if (event.key === "ArrowDown" && i < buttons.length - 1) {
      event.preventDefault();
      buttons[i + 1].focus();
    } else if (event.key === "ArrowUp") {
      event.preventDefault();
      if (i > 0) { buttons[i - 1].focus(); } else if (box) { box.focus(); }
    }
  });
})();
