/* The map's own background (ui/basemap.py) and the search's marker: style functions dash-leaflet calls by name.
 *
 * Quiet on purpose: a paper tone, white streets, pale water and green, so the plan's colours stay the
 * strongest thing on the map. Street names are permanent tooltips shown from zoom 16 (a class on the map
 * container switches them), one per street (the addresses layer merges a street's ways).
 */
(function () {
  "use strict";

  var MAJOR = {motorway: 7, trunk: 7, primary: 6, secondary: 6, tertiary: 5, unclassified: 4, residential: 4,
               living_street: 4, service: 2.5, pedestrian: 4, motorway_link: 4, trunk_link: 4, primary_link: 4,
               secondary_link: 4, tertiary_link: 4, road: 4};
  var PATHS = {footway: 1, path: 1, cycleway: 1, steps: 1, track: 1.5, bridleway: 1, corridor: 1};
  var LABEL_ZOOM = 16;

  function labelsFollowZoom(map) {
    if (!map || map._buergergisLabels) { return; }
    map._buergergisLabels = true;
    var update = function () {
      map.getContainer().classList.toggle("street-labels-on", map.getZoom() >= LABEL_ZOOM);
    };
    map.on("zoomend", update);
    update();
  }

  var ns = {
    backgroundLandcover: function (feature) {
      var water = ((feature.properties || {}).kind) === "water";
      return water ? {stroke: false, fillColor: "#aad3df", fillOpacity: 1}
                   : {stroke: false, fillColor: "#d3e8c8", fillOpacity: 1};
    },

    // The plans' Verkehrsflächen: the road surface, as a street map draws it.
    backgroundTraffic: function () {
      return {color: "#c3c7cc", weight: 1, fillColor: "#fbfbfa", fillOpacity: 1};
    },

    backgroundStreet: function (feature) {
      var kind = (feature.properties || {}).highway;
      if (PATHS[kind]) { return {color: "#a8a29e", weight: PATHS[kind], dashArray: "2 3", opacity: 0.8}; }
      return {color: "#ffffff", weight: MAJOR[kind] || 3, opacity: 1, lineCap: "round"};
    },

    // The street-name layer draws nothing itself: its tooltips are the labels.
    backgroundStreetName: function () { return {stroke: false, fill: false}; },

    streetLabel: function (feature, layer) {
      var name = (feature.properties || {}).name;
      if (!name) { return; }
      layer.bindTooltip(String(name), {permanent: true, direction: "center", className: "street-label",
                                       interactive: false, opacity: 1});
      layer.on("add", function (e) { labelsFollowZoom(e.target._map); });
    },

    // What the search found: a street along its length, an area outlined, a point as a ring.
    searchStyle: function () {
      return {color: "#7c2d12", weight: 6, opacity: 0.85, fill: false, dashArray: null};
    },

    searchPoint: function (feature, latlng) {
      return L.circleMarker(latlng, {radius: 11, color: "#7c2d12", weight: 4, fillColor: "#fde68a",
                                     fillOpacity: 0.9});
    },
  };

  window.buergergis = Object.assign(window.buergergis || {}, ns);
})();
