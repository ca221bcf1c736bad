/* dcc.Upload (react-dropzone) renders a file input without a name of its own; screen readers and axe-core
 * need one. The visible button inside the drop zone is the control people use; the input gets the same name
 * from the button's text (German or English, whatever the page shows) and stays out of the tab order. */
(function () {
  'use strict';
  function label() {
    document.querySelectorAll('.upload-box input[type="file"]').forEach(function (input) {
      var box = input.closest('.upload-box');
      var button = box && box.querySelector('button');
      var name = (button && button.textContent.trim()) || 'Dateien auswählen / choose files';
      if (input.getAttribute('aria-label') !== name) { input.setAttribute('aria-label', name); }
      if (input.getAttribute('tabindex') !== '-1') { input.setAttribute('tabindex', '-1'); }
    });
  }
  var pending = false;  // once per animation frame, not after every change Dash or Leaflet makes to the page
  new MutationObserver(function () {
    if (pending) { return; }
    pending = true;
    window.requestAnimationFrame(function () { pending = false; label(); });
  }).observe(document.documentElement, {childList: true, subtree: true});
  document.addEventListener('DOMContentLoaded', label);
})();
