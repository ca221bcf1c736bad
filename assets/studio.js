/* Scenario studio (ui/studio.py): styles of the studio map's zones and buildings. Data only, no text. */
(function () {
  "use strict";
  window.buergergisStudio = {
    zoneStyle: function (feature, context) {
      var selected = (context && context.hideout && context.hideout.selected) || [];
      var id = (feature.properties || {}).id;
      var on = selected.indexOf(id) >= 0;
      return on ? {color: "#b45309", weight: 3, fillColor: "#f59e0b", fillOpacity: 0.45}
                : {color: "#0b3a66", weight: 1.5, fillColor: "#93c5fd", fillOpacity: 0.25};
    },
    buildingStyle: function (feature) {
      var p = feature.properties || {};
      var h = Number(p.height) || 0;
      /* taller is darker (3 m to 30 m); planned buildings purple */
      var k = Math.max(0, Math.min(1, (h - 3) / 27));
      var grey = Math.round(190 - 120 * k);
      var fill = p["new"] ? "#7c3aed" : "rgb(" + grey + "," + grey + "," + (grey + 10) + ")";
      return {color: "#1f2937", weight: 1, fillColor: fill, fillOpacity: 0.85};
    }
  };
})();
