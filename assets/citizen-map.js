/* The citizens' map (ui/map.py): drawing tools in the page's language, shapes out of the tab order,
 * and a clean slate after a contribution was sent. Fixed strings only; nothing from users.
 *
 * 1. Leaflet.draw ships English texts (tooltips "Click to start drawing shape.", actions "Cancel", "Finish",
 *    "Delete last point", "Save", "Clear All"). They are read from the one global L.drawLocal when a tool
 *    is chosen and while drawing, and the scenario studio's map has texts of its own: each map registers
 *    its texts (window.buergergis.drawTexts(selector, texts); assets/studio_draw.js for the studio), and
 *    a map's texts are merged in the moment one of its tools is pressed (capture phase: before Leaflet.draw
 *    builds its action bar).
 * 2. Every vector shape of the map is an SVG path Chromium puts into the tab order: a keyboard user met
 *    hundreds of unnamed stops that ignore Enter and Space. They are taken out of it (tabindex -1); the
 *    link "Karte überspringen" before the map leads to the list view, which lists the same plans, areas
 *    and contributions with a "Details" button each (ui/listview.py).
 * 3. After a successful submission (ui/contribute.py answers "msg ok"): the drawn shapes are removed from
 *    the map, any drawing/editing/deleting mode is left, and focus and scroll go to the receipt.
 */
(function () {
  "use strict";

  var DRAW_TEXTS = {
    de: {
      draw: {
        toolbar: {
          actions: {title: "Zeichnen abbrechen", text: "Abbrechen"},
          finish: {title: "Zeichnen beenden", text: "Fertig"},
          undo: {title: "Den zuletzt gesetzten Punkt löschen", text: "Letzten Punkt löschen"},
          buttons: {polyline: "Linie zeichnen", polygon: "Fläche zeichnen", marker: "Punkt setzen",
                    rectangle: "Rechteck zeichnen"}
        },
        handlers: {
          marker: {tooltip: {start: "In die Karte klicken, um den Punkt zu setzen."}},
          polygon: {tooltip: {start: "Klicken, um die Fläche zu beginnen.", cont: "Klicken, um weiterzuzeichnen.",
                              end: "Auf den ersten Punkt klicken, um die Fläche zu schließen."}},
          polyline: {error: "<strong>Fehler:</strong> Die Kanten dürfen sich nicht kreuzen!",
                     tooltip: {start: "Klicken, um die Linie zu beginnen.", cont: "Klicken, um weiterzuzeichnen.",
                               end: "Auf den letzten Punkt klicken, um die Linie zu beenden."}},
          rectangle: {tooltip: {start: "Klicken und ziehen, um ein Rechteck zu zeichnen."}},
          simpleshape: {tooltip: {end: "Maustaste loslassen, um fertig zu zeichnen."}}
        }
      },
      edit: {
        toolbar: {
          actions: {save: {title: "Änderungen übernehmen", text: "Übernehmen"},
                    cancel: {title: "Abbrechen, Änderungen verwerfen", text: "Abbrechen"},
                    clearAll: {title: "Alle Zeichnungen löschen", text: "Alle löschen"}},
          buttons: {edit: "Gezeichnetes bearbeiten", editDisabled: "Nichts zu bearbeiten",
                    remove: "Gezeichnetes löschen", removeDisabled: "Nichts zu löschen"}
        },
        handlers: {
          edit: {tooltip: {text: "Griffe oder Punkte ziehen, um die Zeichnung zu ändern.",
                           subtext: "„Abbrechen“ macht die Änderungen rückgängig."}},
          remove: {tooltip: {text: "Auf eine Zeichnung klicken, um sie zu löschen."}}
        }
      }
    },
    en: {
      draw: {
        toolbar: {
          actions: {title: "Cancel drawing", text: "Cancel"},
          finish: {title: "Finish drawing", text: "Finish"},
          undo: {title: "Delete the last point drawn", text: "Delete last point"},
          buttons: {polyline: "Draw a line", polygon: "Draw an area", marker: "Place a point",
                    rectangle: "Draw a rectangle"}
        },
        handlers: {
          marker: {tooltip: {start: "Click the map to place the point."}},
          polygon: {tooltip: {start: "Click to start the area.", cont: "Click to continue drawing.",
                              end: "Click the first point to close the area."}},
          polyline: {error: "<strong>Error:</strong> edges must not cross!",
                     tooltip: {start: "Click to start the line.", cont: "Click to continue drawing.",
                               end: "Click the last point to finish the line."}},
          rectangle: {tooltip: {start: "Click and drag to draw a rectangle."}},
          simpleshape: {tooltip: {end: "Release the mouse to finish drawing."}}
        }
      },
      edit: {
        toolbar: {
          actions: {save: {title: "Save the changes", text: "Save"},
                    cancel: {title: "Cancel, discard the changes", text: "Cancel"},
                    clearAll: {title: "Delete all drawings", text: "Delete all"}},
          buttons: {edit: "Edit drawings", editDisabled: "Nothing to edit",
                    remove: "Delete drawings", removeDisabled: "Nothing to delete"}
        },
        handlers: {
          edit: {tooltip: {text: "Drag handles or points to change the drawing.",
                           subtext: "“Cancel” undoes the changes."}},
          remove: {tooltip: {text: "Click a drawing to delete it."}}
        }
      }
    }
  };
  /* The map itself is a tab stop (Leaflet: arrow keys pan, + and − zoom): it says so. */
  var MAP_LABEL = {de: "Karte: mit den Pfeiltasten verschieben, mit + und − vergrößern und verkleinern",
                   en: "Map: move it with the arrow keys, zoom with + and −"};
  var ZOOM_TITLES = {de: {"leaflet-control-zoom-in": "Vergrößern", "leaflet-control-zoom-out": "Verkleinern"},
                     en: {"leaflet-control-zoom-in": "Zoom in", "leaflet-control-zoom-out": "Zoom out"}};

  function lang() {
    var value = (window.buergergis && window.buergergis.lang) || document.documentElement.lang || "de";
    return value === "en" ? "en" : "de";
  }

  function merge(target, source) {
    Object.keys(source).forEach(function (key) {
      if (source[key] && typeof source[key] === "object") {
        if (!target[key] || typeof target[key] !== "object") { target[key] = {}; }
        merge(target[key], source[key]);
      } else {
        target[key] = source[key];
      }
    });
  }

  /* Each map's Leaflet.draw texts, merged into the shared L.drawLocal when one of its tools is pressed. */
  var drawTexts = [];  // [map selector, {de: …, en: …}]
  function registerDrawTexts(selector, texts) { drawTexts.push([selector, texts]); }
  registerDrawTexts("#map", DRAW_TEXTS);

  function onToolbar(event) {
    var target = event.target;
    if (!target || !target.closest || !window.L || !window.L.drawLocal) { return; }
    for (var i = 0; i < drawTexts.length; i++) {
      if (target.closest(drawTexts[i][0] + " .leaflet-draw")) {
        merge(window.L.drawLocal, drawTexts[i][1][lang()]);
        return;
      }
    }
  }
  // capture phase: before Leaflet.draw's own click handler builds the action bar from L.drawLocal
  document.addEventListener("pointerdown", onToolbar, true);
  document.addEventListener("click", onToolbar, true);
  document.addEventListener("keydown", onToolbar, true);

  /* Shapes out of the tab order; zoom buttons in the page's language. */
  function tidy(root) {
    var shapes = root.querySelectorAll("#map path.leaflet-interactive:not([tabindex]), " +
                                       "#map .leaflet-marker-icon:not([data-bgis-tab])");
    for (var i = 0; i < shapes.length; i++) {
      shapes[i].setAttribute("tabindex", "-1");
      shapes[i].setAttribute("data-bgis-tab", "");
    }
    var container = document.querySelector("#map.leaflet-container");
    if (container && container.getAttribute("aria-label") !== MAP_LABEL[lang()]) {
      container.setAttribute("role", "region");
      container.setAttribute("aria-label", MAP_LABEL[lang()]);
    }
    var titles = ZOOM_TITLES[lang()];
    Object.keys(titles).forEach(function (cls) {
      var a = document.querySelector("#map a." + cls);
      if (a && a.title !== titles[cls]) {
        a.title = titles[cls];
        a.setAttribute("aria-label", titles[cls]);
      }
    });
  }
  var pending = false;
  new MutationObserver(function () {
    if (pending) { return; }
    pending = true;  // one pass per animation frame, not one per added path
    window.requestAnimationFrame(function () { pending = false; tidy(document); });
  }).observe(document.documentElement, {childList: true, subtree: true, attributes: true,
                                        attributeFilter: ["lang"]});

  /* The citizens' Leaflet map and the shapes drawn on it. */
  var citizenMap = null;
  function hookMaps() {
    if (!window.L || !window.L.Map || hookMaps.done) { return; }
    hookMaps.done = true;
    window.L.Map.addInitHook(function () {
      var map = this;
      map.whenReady(function () {
        var container = map.getContainer();
        if (!container || container.id !== "map") { return; }
        citizenMap = map;
        // every shape the visitor draws, so it can be removed after sending
        map.on("draw:created", function (event) { event.layer._bgisDrawn = true; });
        // While a drawing, editing or deleting tool is on, a tap is for the drawing: the plan's shapes under it
        // take no click (a tap on a phone reached the shape too and selected it, see citizen.css).
        map.on("draw:drawstart draw:editstart draw:deletestart", function () {
          container.classList.add("bgis-drawing");
        });
        map.on("draw:drawstop draw:editstop draw:deletestop", function () {
          container.classList.remove("bgis-drawing");
        });
      });
    });
  }
  if (window.L) { hookMaps(); } else { document.addEventListener("DOMContentLoaded", hookMaps); }

  /* Leave any drawing, editing or deleting mode: the visible action bar's "save" (edit, delete) or
   * "cancel" (drawing). Then remove what was drawn. */
  function resetDrawing() {
    var sections = document.querySelectorAll("#map .leaflet-draw-section");
    for (var i = 0; i < sections.length; i++) {
      var actions = sections[i].querySelector(".leaflet-draw-actions");
      if (!actions || actions.style.display !== "block") { continue; }
      var links = actions.querySelectorAll("a");
      var editing = !!sections[i].querySelector(".leaflet-draw-edit-edit, .leaflet-draw-edit-remove");
      var button = editing ? links[0] : links[links.length - 1];
      if (button) { button.click(); }
    }
    if (!citizenMap) { return; }
    var drawn = [];
    citizenMap.eachLayer(function (layer) { if (layer._bgisDrawn) { drawn.push(layer); } });
    drawn.forEach(function (layer) {
      Object.keys(layer._eventParents || {}).forEach(function (key) {
        var parent = layer._eventParents[key];
        if (parent && parent.removeLayer) { parent.removeLayer(layer); }
      });
      citizenMap.removeLayer(layer);
    });
  }

  function showReceipt() {
    var receipt = document.getElementById("form-feedback");
    if (!receipt) { return; }
    receipt.setAttribute("tabindex", "-1");
    var reduce = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
    receipt.focus({preventScroll: true});
    receipt.scrollIntoView({behavior: reduce ? "auto" : "smooth", block: "center"});
  }

  window.buergergis = Object.assign(window.buergergis || {}, {
    drawTexts: registerDrawTexts,
    resetDrawing: resetDrawing,
    citizenMap: function () { return citizenMap; }
  });

  window.dash_clientside = Object.assign({}, window.dash_clientside, {
    citizen_map: {
      // ui/map.py: after the contribution form's answer; only a success clears the drawing.
      afterSubmit: function (message, className) {
        if (message && String(className || "").indexOf("ok") >= 0) {
          resetDrawing();
          setTimeout(showReceipt, 50);  // after Dash has painted the receipt
        }
        return window.dash_clientside.no_update;
      },
      // the skip link: show the list view and put focus on its search field
      toList: function (n) {
        if (!n) { return window.dash_clientside.no_update; }
        // the list view is shown by a server callback: focus its search field once it is visible
        var tries = 0;
        (function focusWhenShown() {
          var field = document.getElementById("list-search");
          if (field && field.offsetParent !== null) { field.focus(); return; }
          if (tries++ < 40) { setTimeout(focusWhenShown, 50); }
        })();
        return "list";
      }
    }
  });
})();
