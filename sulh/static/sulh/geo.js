/* Shared Leaflet helpers: the charter's vector layers, no tiles. Plain Leaflet, no framework. */
(function () {
  "use strict";
  var lang = (document.documentElement.lang || "en").split("-")[0];

  function readJSON(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }

  function nameOf(props) {
    var n = props && props.name;
    if (!n) { return (props && props.code) || ""; }
    if (typeof n === "string") { return n; }
    return n[lang] || (lang === "fa" && n.prs) || n.en || props.code || "";
  }

  function esc(text) {
    var d = document.createElement("div");
    d.textContent = text == null ? "" : String(text);
    return d.innerHTML;
  }

  var STYLES = {
    territories: function (f) {
      var first = f.properties && f.properties.code && f.properties.code < "M";
      return { color: "#8a8a8a", weight: 0.5, fillColor: first ? "#f4efe2" : "#e9f0e4", fillOpacity: 1 };
    },
    provinces: function () { return { color: "#7b7b7b", weight: 1, dashArray: "4 3", fill: false }; },
    districts: function () { return { color: "#a0a0a0", weight: 0.6, fill: true, fillOpacity: 0, dashArray: "2 3" }; },
    sectors: function () { return { color: "#6a3d9a", weight: 1, fillColor: "#6a3d9a", fillOpacity: 0.07 }; },
    border: function () { return { color: "#b00020", weight: 2.5 }; }
  };
  var POINTS = {
    posts: { radius: 5, color: "#222", weight: 1, fillColor: "#ffd400", fillOpacity: 1 },
    crossings: { radius: 6, color: "#222", weight: 1.5, fillColor: "#ffffff", fillOpacity: 1 }
  };

  /* Add the named layers of `layers` (a dict of FeatureCollections) to `map`; return {key: L.GeoJSON}. */
  function addCharterLayers(map, layers, keys, opts) {
    opts = opts || {};
    var out = {};
    keys.forEach(function (key) {
      var data = layers && layers[key];
      if (!data) { return; }
      var options = {
        interactive: opts.interactive !== false && key !== "territories",
        onEachFeature: function (feature, layer) {
          if (opts.interactive === false) { return; }
          layer.bindTooltip(esc(nameOf(feature.properties)), { sticky: key !== "posts" && key !== "crossings" });
        }
      };
      if (POINTS[key]) {
        options.pointToLayer = function (feature, latlng) { return L.circleMarker(latlng, POINTS[key]); };
      } else if (STYLES[key]) {
        options.style = STYLES[key];
      }
      out[key] = L.geoJSON(data, options);
      if (opts.hidden && opts.hidden.indexOf(key) !== -1) { return; }
      out[key].addTo(map);
    });
    return out;
  }

  function newMap(id) {
    var map = L.map(id, { zoomControl: true, attributionControl: false, preferCanvas: true });
    L.control.scale({ metric: true, imperial: false }).addTo(map);
    return map;
  }

  function fit(map, layer) {
    try {
      var b = layer.getBounds();
      if (b.isValid()) { map.fitBounds(b, { padding: [10, 10] }); return; }
    } catch (e) { /* empty layer */ }
    map.setView([32.5, 69.5], 6);
  }

  window.SulhGeo = { readJSON: readJSON, nameOf: nameOf, esc: esc, addCharterLayers: addCharterLayers, newMap: newMap, fit: fit };
})();
