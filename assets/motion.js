/* Less motion where the visitor's system asks for it (prefers-reduced-motion; WCAG 2.3.3, BITV 2.0).
 *
 * The page's own transitions and smooth scrolling already stop then (buergergis.css, ui/map.py). Leaflet
 * knows no such setting: a found place or plan was reached by a flight over the city (zooming out and in
 * again for a second or two), and every zoom and tile was animated. Here every Leaflet map of the page
 * (citizens', studio) jumps instead: flyTo and flyToBounds become setView and fitBounds without animation,
 * and zoom, fade and marker animations and the drag inertia are off. The 3D view's camera presets jump too
 * (assets/deck_lazy.js).
 */
(function () {
  "use strict";

  function reducedMotion() {
    return Boolean(window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches);
  }

  function stillMaps() {
    var L = window.L;
    if (!L || !L.Map || stillMaps.done) { return; }
    stillMaps.done = true;
    if (reducedMotion()) {  // before the page's maps are made (Leaflet reads these when a map is made)
      L.Map.mergeOptions({zoomAnimation: false, fadeAnimation: false, markerZoomAnimation: false, inertia: false});
    }
    var flyTo = L.Map.prototype.flyTo;
    var flyToBounds = L.Map.prototype.flyToBounds;
    L.Map.include({
      flyTo: function (latlng, zoom, options) {
        if (!reducedMotion()) { return flyTo.call(this, latlng, zoom, options); }
        return this.setView(latlng, zoom, {animate: false});
      },
      flyToBounds: function (bounds, options) {
        if (!reducedMotion()) { return flyToBounds.call(this, bounds, options); }
        return this.fitBounds(bounds, L.extend({}, options, {animate: false}));
      }
    });
  }

  window.buergergis = Object.assign(window.buergergis || {}, {reducedMotion: reducedMotion});
  if (window.L) { stillMaps(); } else { document.addEventListener("DOMContentLoaded", stillMaps); }
})();
