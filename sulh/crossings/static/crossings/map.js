/* The crossings map: the charter's territories, provinces and border (vector only, no tiles) and each
   crossing as a circle coloured by its state; a legend. Uses the shared helpers of sulh/geo.js. */
(function () {
  "use strict";
  var G = window.SulhGeo;
  var el = document.getElementById("xing-map");
  if (!el || !window.L || !G) { return; }
  var layers = G.readJSON("xing-layers") || {};
  var points = G.readJSON("xing-points") || { type: "FeatureCollection", features: [] };
  var colours = G.readJSON("xing-colours") || {};
  var labels = G.readJSON("xing-labels") || {};
  var map = G.newMap("xing-map");
  var added = G.addCharterLayers(map, layers, ["territories", "provinces", "border"], {});

  function word(key) { return labels[key] || key; }

  var layer = L.geoJSON(points, {
    pointToLayer: function (feature, latlng) {
      var c = colours[feature.properties.state] || colours.unknown || "#999";
      return L.circleMarker(latlng, { radius: 9, color: "#1b1f23", weight: 1.5, fillColor: c, fillOpacity: 0.95 });
    },
    onEachFeature: function (feature, marker) {
      var p = feature.properties;
      var html = "<strong>" + G.esc(G.nameOf(p)) + "</strong><br>" + G.esc(word(p.state));
      Object.keys(p.modes || {}).forEach(function (m) {
        html += "<br>" + G.esc(word(m)) + ": " + G.esc(word(p.modes[m]));
      });
      html += "<br><a href=\"" + G.esc(p.url) + "\">" + G.esc(el.dataset.openLabel) + "</a>";
      marker.bindPopup(html);
      marker.bindTooltip(G.esc(G.nameOf(p)));
    }
  }).addTo(map);

  var legend = L.control({ position: "bottomleft" });
  legend.onAdd = function () {
    var div = L.DomUtil.create("div", "legend");
    var html = "<strong>" + G.esc(el.dataset.legendTitle) + "</strong><br>";
    ["open", "restricted", "closed", "unknown"].forEach(function (k) {
      html += "<i style=\"background:" + colours[k] + "\"></i>" + G.esc(word(k)) + "<br>";
    });
    div.innerHTML = html;
    return div;
  };
  legend.addTo(map);
  G.fit(map, layer.getLayers().length ? layer : added.border);
})();
