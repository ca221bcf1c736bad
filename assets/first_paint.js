/* The start page's copy (ui/first_paint.py) gives way once Dash has mounted the page (#app-root).
 *
 * In the microtask after the mount, before the next paint, the copy is made invisible and taken out of the
 * flow (a CSS rule in buergergis.css does the same in the same frame), so the page takes its place without a
 * frame between. It is removed once the browser has shown its first paint: removed before, the browser
 * would forget that it painted the copy (its largest text would count as painted only when Dash's came).
 */
(function () {
  "use strict";
  var copy = document.getElementById("first-paint");
  if (!copy) { return; }

  function remove() {
    if (copy.parentNode) { copy.parentNode.removeChild(copy); }
  }
  function removeOncePainted() {
    var done = false;
    function later() { if (!done) { done = true; window.setTimeout(remove, 500); } }
    try {
      new PerformanceObserver(function (list) {
        if (list.getEntriesByName("first-contentful-paint").length) { later(); }
      }).observe({type: "paint", buffered: true});
    } catch (e) { /* no paint timing: the fallback below */ }
    window.setTimeout(later, 10000);
  }
  function mounted() {
    if (!document.getElementById("app-root")) { return false; }
    copy.classList.add("gone");
    var status = document.getElementById("first-paint-status");  // "is loading": the page is there now
    if (status && status.parentNode) { status.parentNode.removeChild(status); }
    removeOncePainted();
    return true;
  }
  if (mounted()) { return; }
  var observer = new MutationObserver(function () { if (mounted()) { observer.disconnect(); } });
  observer.observe(document.getElementById("react-entry-point") || document.body, {childList: true, subtree: true});
})();
