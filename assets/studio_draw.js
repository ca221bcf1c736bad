/* Scenario studio (ui/studio.py): Leaflet.draw's texts (tooltips, actions, buttons) in the page's language.
 * The texts are registered with the citizens' map script (assets/citizen-map.js, loaded first), which merges
 * them into the shared L.drawLocal when a tool of the studio's map is pressed; the studio map's button titles,
 * built with the texts of their time, are set here. Fixed strings only; nothing from users. */
(function () {
  "use strict";
  var TEXTS = {
    de: {
      draw: {
        toolbar: {
          actions: {title: "Zeichnen abbrechen", text: "Abbrechen"},
          finish: {title: "Zeichnen beenden", text: "Fertig"},
          undo: {title: "Letzten Punkt löschen", text: "Letzten Punkt löschen"},
          buttons: {polygon: "Grundriss als Vieleck zeichnen", rectangle: "Grundriss als Rechteck zeichnen"}
        },
        handlers: {
          polygon: {tooltip: {start: "Klicken, um den Grundriss zu beginnen.",
                              cont: "Klicken, um weiterzuzeichnen.",
                              end: "Auf den ersten Punkt klicken, um den Grundriss zu schließen."}},
          polyline: {error: "<strong>Fehler:</strong> Die Kanten dürfen sich nicht kreuzen!",
                     tooltip: {start: "Klicken, um zu beginnen.", cont: "Klicken, um weiterzuzeichnen.",
                               end: "Auf den letzten Punkt klicken, um zu beenden."}},
          rectangle: {tooltip: {start: "Klicken und ziehen, um ein Rechteck zu zeichnen."}},
          simpleshape: {tooltip: {end: "Maustaste loslassen, um fertig zu zeichnen."}}
        }
      },
      edit: {
        toolbar: {
          actions: {save: {title: "Änderungen übernehmen", text: "Übernehmen"},
                    cancel: {title: "Abbrechen, Änderungen verwerfen", text: "Abbrechen"},
                    clearAll: {title: "Alle Zeichnungen löschen", text: "Alle löschen"}},
          buttons: {edit: "Zeichnung bearbeiten", editDisabled: "Nichts zu bearbeiten",
                    remove: "Zeichnung löschen", removeDisabled: "Nichts zu löschen"}
        },
        handlers: {remove: {tooltip: {text: "Auf eine Zeichnung klicken, um sie zu löschen."}}}
      }
    },
    en: {
      draw: {
        toolbar: {
          actions: {title: "Cancel drawing", text: "Cancel"},
          finish: {title: "Finish drawing", text: "Finish"},
          undo: {title: "Delete the last point", text: "Delete last point"},
          buttons: {polygon: "Draw a footprint as a polygon", rectangle: "Draw a footprint as a rectangle"}
        },
        handlers: {
          polygon: {tooltip: {start: "Click to start the footprint.", cont: "Click to continue drawing.",
                              end: "Click the first point to close the footprint."}},
          polyline: {error: "<strong>Error:</strong> edges must not cross!",
                     tooltip: {start: "Click to start.", cont: "Click to continue drawing.",
                               end: "Click the last point to finish."}},
          rectangle: {tooltip: {start: "Click and drag to draw a rectangle."}},
          simpleshape: {tooltip: {end: "Release the mouse to finish drawing."}}
        }
      },
      edit: {
        toolbar: {
          actions: {save: {title: "Save the changes", text: "Save"},
                    cancel: {title: "Cancel, discard the changes", text: "Cancel"},
                    clearAll: {title: "Delete all drawings", text: "Delete all"}},
          buttons: {edit: "Edit a drawing", editDisabled: "Nothing to edit",
                    remove: "Delete a drawing", removeDisabled: "Nothing to delete"}
        },
        handlers: {remove: {tooltip: {text: "Click a drawing to delete it."}}}
      }
    }
  };
  var BUTTONS = {"leaflet-draw-draw-polygon": ["draw", "polygon"], "leaflet-draw-draw-rectangle": ["draw", "rectangle"],
                 "leaflet-draw-edit-remove": ["edit", "remove"]};

  window.buergergis.drawTexts("#studio-map", TEXTS);

  function apply() {
    var lang = (window.buergergis && window.buergergis.lang) || document.documentElement.lang || "de";
    var texts = TEXTS[lang] || TEXTS.de;
    Object.keys(BUTTONS).forEach(function (cls) {
      var path = BUTTONS[cls];
      var title = texts[path[0]].toolbar.buttons[path[1]];
      document.querySelectorAll("#studio-map a." + cls).forEach(function (a) {
        if (a.title !== title) { a.title = title; a.setAttribute("aria-label", title); }
      });
    });
  }
  var pending = false;  // once per animation frame, not after every change Dash or Leaflet makes to the page
  new MutationObserver(function () {
    if (pending) { return; }
    pending = true;
    window.requestAnimationFrame(function () { pending = false; apply(); });
  }).observe(document.documentElement, {childList: true, subtree: true, attributes: true, attributeFilter: ["lang"]});
  apply();
})();
