/* Functions dash-leaflet calls by name ({"variable": "buergergis.xyz"}) and small page helpers.
 *
 * Why here: dash-leaflet style/tooltip functions must be JavaScript. The colour tables come
 * from Python through `hideout`, so the legend and the map never disagree.
 * Every text taken from feature properties is put into the DOM with textContent, never as
 * HTML, because contributions carry user-supplied text.
 */
(function () {
  "use strict";

  function norm(value) {
    if (value === null || value === undefined) { return ""; }
    var text = String(value).trim().toLowerCase()
      .replace(/ä/g, "ae").replace(/ö/g, "oe").replace(/ü/g, "ue").replace(/ß/g, "ss");
    if (/^\d+\.0$/.test(text)) { text = text.slice(0, -2); }
    return text.replace(/[^a-z0-9]/g, "");
  }

  function zoneColor(props, hideout) {
    var table = (hideout && hideout.colors) || {};
    var keys = [props.art_code, props.besondere_art_der_baulichen_nutzung, props.allg_art_der_baulichen_nutzung];
    for (var i = 0; i < keys.length; i++) {
      var key = norm(keys[i]);
      if (key && table[key]) { return table[key]; }
    }
    return (hideout && hideout.fallback) || "#cbd5e1";
  }

  function lang() { return (window.buergergis && window.buergergis.lang) || "de"; }

  // pygeoapi writes < and > as &lt; &gt; into its JSON; show the text as it was written (as text).
  function unescapeApi(text) { return String(text).replace(/&lt;/g, "<").replace(/&gt;/g, ">"); }

  function tooltipNode(lines) {
    var div = document.createElement("div");
    lines.forEach(function (line, i) {
      if (line === null || line === undefined || line === "") { return; }
      var el = document.createElement(i === 0 ? "strong" : "div");
      el.textContent = unescapeApi(line);
      div.appendChild(el);
    });
    return div;
  }

  function fmt(value) {
    if (value === null || value === undefined || value === 0) { return null; }
    var s = String(value);
    return lang() === "de" ? s.replace(".", ",") : s;
  }


  // ---- every other plan object (xplan_objekt), styled after the PlanZV table from Python (hideout)
  function attributesOf(props) {
    var a = props.attributes;
    if (typeof a === "string") { try { a = JSON.parse(a); } catch (e) { a = {}; } }
    return a || {};
  }

  function codeOf(value) {
    if (Array.isArray(value)) { value = value[0]; }
    if (value && typeof value === "object") { return value.code !== undefined ? String(value.code) : null; }
    return value === null || value === undefined ? null : String(value);
  }

  function kindOf(geometry) {
    var type = geometry && geometry.type || "";
    if (type.indexOf("Polygon") >= 0) { return "area"; }
    if (type.indexOf("LineString") >= 0) { return "line"; }
    return "point";
  }

  function xplanEntry(feature, hideout) {
    var p = feature.properties || {};
    var entry = ((hideout && hideout.styles) || {})[p.xplan_class] || {};
    var kind = kindOf(feature.geometry);
    var style = entry[kind] || entry.area || entry.line || entry.point ||
      {color: "#64748b", weight: 1, fillColor: "#cbd5e1", fillOpacity: 0.2};
    (entry.by || []).some(function (rule) {
      var code = codeOf(attributesOf(p)[rule.attribute]);
      var found = code !== null && rule.values[code] && rule.values[code][kind];
      if (found) { style = found; }
      return !!found;
    });
    return {entry: entry, style: style};
  }

  // PlanZV hatching (e.g. Vorbehaltsgebiete, Flächen mit besonderem Nutzungszweck): an SVG pattern of the
  // fill colour with lines over it, defined once per look in a hidden <svg> and used as url(#id) fill.
  var HATCH_LINES = {diagonal: ["M0,8 L8,0"], cross: ["M0,8 L8,0", "M0,0 L8,8"], horizontal: ["M0,4 L8,4"],
                     vertical: ["M4,0 L4,8"]};
  function hatchFill(style) {
    var id = ("hatch-" + style.hatch + "-" + style.hatchColor + "-" + style.fillColor + "-" + style.fillOpacity)
      .replace(/[^a-zA-Z0-9-]/g, "");
    if (!document.getElementById(id)) {
      var svgNs = "http://www.w3.org/2000/svg";
      var holder = document.getElementById("buergergis-patterns");
      if (!holder) {
        holder = document.createElementNS(svgNs, "svg");
        holder.setAttribute("id", "buergergis-patterns");
        holder.setAttribute("aria-hidden", "true");
        holder.setAttribute("style", "position:absolute;width:0;height:0;overflow:hidden");
        holder.appendChild(document.createElementNS(svgNs, "defs"));
        document.body.appendChild(holder);
      }
      var pattern = document.createElementNS(svgNs, "pattern");
      pattern.setAttribute("id", id);
      pattern.setAttribute("patternUnits", "userSpaceOnUse");
      pattern.setAttribute("width", "8");
      pattern.setAttribute("height", "8");
      var rect = document.createElementNS(svgNs, "rect");
      rect.setAttribute("width", "8"); rect.setAttribute("height", "8");
      rect.setAttribute("fill", style.fillColor || "none");
      rect.setAttribute("fill-opacity", String(style.fillOpacity === undefined ? 0.3 : style.fillOpacity));
      pattern.appendChild(rect);
      if (style.hatch === "dots") {
        var dot = document.createElementNS(svgNs, "circle");
        dot.setAttribute("cx", "4"); dot.setAttribute("cy", "4"); dot.setAttribute("r", "1.2");
        dot.setAttribute("fill", style.hatchColor);
        pattern.appendChild(dot);
      } else {
        (HATCH_LINES[style.hatch] || HATCH_LINES.diagonal).forEach(function (d) {
          var line = document.createElementNS(svgNs, "path");
          line.setAttribute("d", d);
          line.setAttribute("stroke", style.hatchColor);
          line.setAttribute("stroke-width", "1.2");
          pattern.appendChild(line);
        });
      }
      holder.firstChild.appendChild(pattern);
    }
    return "url(#" + id + ")";
  }

  // Plan labels are written for the plan's own scale: zoomed further out they would only pile up.
  var LABEL_MIN_ZOOM = 17;
  function watchLabelZoom(map) {
    if (!map || map._buergergisLabels) { return; }
    map._buergergisLabels = true;
    var update = function () {
      map.getContainer().classList.toggle("plan-labels-hidden", map.getZoom() < LABEL_MIN_ZOOM);
    };
    map.on("zoomend", update);
    update();
  }

  var SYMBOLS = {baum: "🌳", strauch: "🌿", einfahrt: "▲", dreieck: "▲", quadrat: "■", stern: "✱", kreis: "●"};

  var ns = {
    lang: "de",

    xplanStyle: function (feature, context) {
      var style = xplanEntry(feature, context && context.hideout).style;
      if (style.hatch && kindOf(feature.geometry) === "area") {
        return Object.assign({}, style, {fillColor: hatchFill(style), fillOpacity: 1});
      }
      return style;
    },

    xplanFilter: function (feature, context) {
      var skip = (context && context.hideout && context.hideout.skip) || [];
      return !!feature.geometry && skip.indexOf((feature.properties || {}).xplan_class) < 0;
    },

    xplanPoint: function (feature, latlng, context) {
      var p = feature.properties || {};
      var found = xplanEntry(feature, context && context.hideout);
      var style = found.style || {};
      var el = document.createElement("span");
      // Texts of Präsentationsobjekte are plan labels; other points get their PlanZV symbol.
      if (p.xplan_class === "XP_PTO" || p.xplan_class === "XP_LTO") {
        if (!p.label) { return L.circleMarker(latlng, {radius: 0, opacity: 0, fillOpacity: 0}); }
        el.className = "plan-label";
        el.textContent = unescapeApi(p.label);
      } else {
        el.className = "plan-symbol";
        el.textContent = SYMBOLS[style.symbol] || "●";
        el.style.color = style.color || "#334155";
      }
      el.setAttribute("aria-hidden", "true");
      var marker = L.marker(latlng, {icon: L.divIcon({html: el, className: "plan-divicon", iconSize: null}),
                               keyboard: false, interactive: p.xplan_class !== "XP_PTO"});
      marker.on("add", function (e) { watchLabelZoom(e.target._map); });
      return marker;
    },

    xplanTooltip: function (feature, layer, context) {
      var p = feature.properties || {};
      if (p.xplan_class === "XP_PTO" || p.xplan_class === "XP_LTO") { return; }  // a label says itself
      // Areas of a Bebauungsplan (overlays such as Baufenster or a water protection area) let clicks through to
      // the zone below; "Was gilt hier?" in the panel names them. Set before Leaflet adds the path.
      if (kindOf(feature.geometry) === "area" && /^(BP|SO|XP)_/.test(p.xplan_class || "")) {
        layer.options.interactive = false;
        return;
      }
      var entry = xplanEntry(feature, context && context.hideout).entry;
      layer.bindTooltip(function () { return tooltipNode([entry.title || p.xplan_class, p.label]); }, {sticky: true});
    },

    zoneStyle: function (feature, context) {
      var hideout = context && context.hideout;
      var selected = hideout && hideout.selected && feature.id === hideout.selected;
      return {
        fillColor: zoneColor(feature.properties || {}, hideout),
        fillOpacity: selected ? 0.8 : 0.55,
        color: selected ? "#111827" : "#5b3a29",
        weight: selected ? 3 : 1,
      };
    },

    zoneTooltip: function (feature, layer) {
      var p = feature.properties || {};
      layer.bindTooltip(function () {
        var measures = [];
        if (fmt(p.grz)) { measures.push("GRZ " + fmt(p.grz)); }
        if (fmt(p.gfz)) { measures.push("GFZ " + fmt(p.gfz)); }
        var z = p.z || p.z_max;
        if (z) { measures.push("Z " + z); }
        return tooltipNode([p.art_code || p.besondere_art_der_baulichen_nutzung || "", measures.join(" · "),
          lang() === "de" ? "Klicken für Details" : "Click for details"]);
      }, {sticky: true});
    },

    planStyle: function () {
      return {color: "#0b3a66", weight: 1, fill: true, fillColor: "#dbe4ee", fillOpacity: 0.35};
    },

    planOutlineStyle: function () {
      return {color: "#0b3a66", weight: 3, fill: false};
    },

    planTooltip: function (feature, layer) {
      var p = feature.properties || {};
      layer.bindTooltip(function () { return tooltipNode([p.name, p.nummer]); }, {sticky: true});
    },

    baugrenzeStyle: function (feature) {
      var art = norm((feature.properties || {}).art);
      if (art.indexOf("baulinie") >= 0) { return {color: "#b91c1c", weight: 2.5, dashArray: "10 4 2 4", fill: false}; }
      return {color: "#1d4ed8", weight: 2, dashArray: "6 5", fillOpacity: 0.0, fill: false};
    },

    greenStyle: function () { return {color: "#166534", weight: 1, fillColor: "#86c98a", fillOpacity: 0.5}; },
    trafficStyle: function () { return {color: "#a16207", weight: 1, fillColor: "#fde68a", fillOpacity: 0.55}; },
    streetStyle: function () { return {color: "#8b95a1", weight: 2, opacity: 0.9}; },
    parcelStyle: function () { return {color: "#9aa3ad", weight: 0.6, fill: false, opacity: 0.8}; },

    buildingStyle: function (feature) {
      var p = feature.properties || {};
      // Quiet greys: buildings are the background's, the plan's colours stay the strongest (ui/basemap.py).
      if (p.synthetic) { return {color: "#8b9098", weight: 1, dashArray: "3 3", fillColor: "#dcdde0", fillOpacity: 0.9}; }
      return {color: "#9a9ea5", weight: 1, fillColor: "#c8c9cc", fillOpacity: 0.9};
    },

    buildingTooltip: function (feature, layer) {
      var p = feature.properties || {};
      layer.bindTooltip(function () {
        var de = lang() === "de";
        var lines = [p.name || (de ? "Gebäude" : "Building")];
        if (p.height) { lines.push((de ? "Höhe " : "Height ") + fmt(Math.round(p.height * 10) / 10) + " m"); }
        if (p.storeys) { lines.push((de ? "Geschosse: " : "Storeys: ") + p.storeys); }
        if (p.synthetic) { lines.push(de ? "synthetisch (erzeugt, nicht vermessen)" : "synthetic (generated, not surveyed)"); }
        return tooltipNode(lines);
      }, {sticky: true});
    },

    contributionPoint: function (feature, latlng) {
      return L.circleMarker(latlng, {radius: 8, color: "#ffffff", weight: 2, fillColor: "#7c3aed", fillOpacity: 0.95});
    },

    contributionStyle: function () { return {color: "#7c3aed", weight: 3, fillColor: "#7c3aed", fillOpacity: 0.25}; },

    contributionTooltip: function (feature, layer) {
      var p = feature.properties || {};
      layer.bindTooltip(function () {
        var text = p.text ? String(p.text) : "";
        if (text.length > 140) { text = text.slice(0, 140) + "…"; }
        return tooltipNode([p.pseudonym || (lang() === "de" ? "anonym" : "anonymous"), text]);
      }, {sticky: true});
    },

    isPoint: function (feature) { return feature.geometry && feature.geometry.type === "Point"; },
    isNotPoint: function (feature) { return !(feature.geometry && feature.geometry.type === "Point"); },

    selectionStyle: function () { return {color: "#facc15", weight: 5, fill: false, opacity: 1}; },
  };

  window.buergergis = Object.assign(window.buergergis || {}, ns);

  /* Leaflet.draw ships English button titles; give them the page language (title + aria-label). */
  var DRAW_TITLES = {
    de: {"leaflet-draw-draw-polyline": "Linie zeichnen", "leaflet-draw-draw-polygon": "Fläche zeichnen",
         "leaflet-draw-draw-marker": "Punkt setzen", "leaflet-draw-edit-edit": "Gezeichnetes bearbeiten",
         "leaflet-draw-edit-remove": "Gezeichnetes löschen"},
    en: {"leaflet-draw-draw-polyline": "Draw a line", "leaflet-draw-draw-polygon": "Draw an area",
         "leaflet-draw-draw-marker": "Place a point", "leaflet-draw-edit-edit": "Edit drawings",
         "leaflet-draw-edit-remove": "Delete drawings"},
  };
  function localiseDraw() {
    var titles = DRAW_TITLES[lang()] || DRAW_TITLES.de;
    Object.keys(titles).forEach(function (cls) {
      document.querySelectorAll("a." + cls).forEach(function (a) {
        if (a.title !== titles[cls]) { a.title = titles[cls]; a.setAttribute("aria-label", titles[cls]); }
        a.setAttribute("role", "button");
      });
    });
  }
  window.buergergis.localiseDraw = localiseDraw;

  /* 3D: the city's buildings come as vector tiles; where a planning variant is shown, its buildings
   * replace the stored ones. The tile layer's filter accessor (ui/view3d.py) asks here whether a
   * building id is replaced in that deck.gl view (1: hide, 0: show). */
  var replacedIds = {};
  window.buergergis.replaced3d = function (deckId, id) {
    var ids = replacedIds[deckId];
    return ids && ids.has(id) ? 1 : 0;
  };
  window.buergergis.setReplaced3d = function (deckId, ids) { replacedIds[deckId] = new Set(ids || []); };
  // once per animation frame, not after every change Dash or Leaflet makes to the page
  var localising = false;
  new MutationObserver(function () {
    if (localising) { return; }
    localising = true;
    window.requestAnimationFrame(function () { localising = false; localiseDraw(); });
  }).observe(document.documentElement, {childList: true, subtree: true});

  /* Clientside callbacks (dash_clientside.buergergis.*). */
  window.dash_clientside = Object.assign({}, window.dash_clientside, {
    buergergis: {
      // ui/layout.py: the page's language from the switch (DE/EN) or a link's ?lang= (de unless it says en);
      // unchanged (the usual German start) nothing is updated, so nothing waits for an answer.
      chooseLang: function (search, current) {
        var no = window.dash_clientside.no_update;
        var trigger = (window.dash_clientside.callback_context || {}).triggered_id;
        if (trigger === "lang-de") { return current === "de" ? no : "de"; }
        if (trigger === "lang-en") { return current === "en" ? no : "en"; }
        var wanted = new URLSearchParams(search || "").get("lang");
        var lang = wanted ? (wanted.toLowerCase().slice(0, 2) === "en" ? "en" : "de") : (current || "de");
        return lang === current ? no : lang;
      },
      // ui/layout.py: the view from a tab or a link's ?view= (the map when none or an unknown one is named).
      chooseTab: function (tabs, search, current) {
        var no = window.dash_clientside.no_update;
        var trigger = (window.dash_clientside.callback_context || {}).triggered_id;
        if (typeof trigger === "string" && trigger.indexOf("tab-") === 0) {
          var key = trigger.slice(4);
          return key === current ? no : key;
        }
        var wanted = new URLSearchParams(search || "").get("view");
        var tab = tabs.indexOf(wanted) >= 0 ? wanted : "map";
        return tab === current ? no : tab;
      },
      // Keep <html lang> in step with the language switch (WCAG 3.1.1) and tell tooltips.
      setLang: function (lang) {
        document.documentElement.setAttribute("lang", lang || "de");
        window.buergergis.lang = lang || "de";
        window.buergergis.localiseDraw();
        return window.dash_clientside.no_update;
      },
      // A variant's replaced ids into the filter table, then a new update trigger, so deck.gl
      // re-evaluates the tile layer's filter (done here, in one step, so the order is certain).
      replaceBuildings: function (replaced, layers) {
        if (!replaced || !layers) { return window.dash_clientside.no_update; }
        window.buergergis.setReplaced3d(replaced.deck, replaced.ids);
        return layers.map(function (layer) {
          if (layer.id !== "city-buildings") { return layer; }
          return Object.assign({}, layer, {updateTriggers: {getFilterValue: replaced.version}});
        });
      },
      // Leaflet and deck.gl measure their container; a hidden tab has none, so re-measure on show.
      resizeOnShow: function (tab) {
        setTimeout(function () { window.dispatchEvent(new Event("resize")); }, 60);
        return window.dash_clientside.no_update;
      },
    },
  });
})();
