/* The map page: charter layers, the incidents the user may see as coloured circles, a legend. */
(function () {
  "use strict";
  var G = window.SulhGeo;
  var el = document.getElementById("sulh-map");
  if (!el || !window.L) { return; }
  var layers = G.readJSON("sulh-layers") || {};
  var incidents = G.readJSON("sulh-incidents") || { type: "FeatureCollection", features: [] };
  var colours = G.readJSON("sulh-colours") || {};
  var names = G.readJSON("sulh-layer-names") || {};
  var map = G.newMap("sulh-map");

  var keys = ["territories", "provinces", "districts", "sectors", "border", "crossings", "posts"];
  var added = G.addCharterLayers(map, layers, keys, { hidden: ["districts"] });

  var incidentLayer = L.geoJSON(incidents, {
    pointToLayer: function (feature, latlng) {
      var c = colours[feature.properties.event_type] || "#444";
      return L.circleMarker(latlng, { radius: 6, color: "#1b1f23", weight: 1, fillColor: c, fillOpacity: 0.9 });
    },
    onEachFeature: function (feature, layer) {
      var p = feature.properties;
      layer.bindPopup(
        "<strong>" + G.esc(p.code) + "</strong>" + (p.demo ? " <span class=\"badge badge-demo\">DEMO</span>" : "") +
        "<br>" + G.esc(p.title) +
        "<br><span dir=\"ltr\">" + G.esc(p.date) + "</span>" +
        "<br>" + G.esc(p.event_type) + " / " + G.esc(p.sub_event_type) +
        "<br><a href=\"" + G.esc(p.url) + "\">" + G.esc(el.dataset.openLabel) + "</a>"
      );
    }
  }).addTo(map);

  var overlays = {};
  keys.forEach(function (k) { if (added[k]) { overlays[names[k] || k] = added[k]; } });
  overlays[names.incidents || "Incidents"] = incidentLayer;
  L.control.layers(null, overlays, { collapsed: false }).addTo(map);

  var legend = L.control({ position: "bottomleft" });
  legend.onAdd = function () {
    var div = L.DomUtil.create("div", "legend");
    var html = "<strong>" + G.esc(el.dataset.legendTitle) + "</strong><br>";
    Object.keys(colours).forEach(function (t) {
      html += "<i style=\"background:" + colours[t] + "\"></i>" + G.esc(t) + "<br>";
    });
    div.innerHTML = html;
    return div;
  };
  legend.addTo(map);

  G.fit(map, added.border || incidentLayer);
})();
