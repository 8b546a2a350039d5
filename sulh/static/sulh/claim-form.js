/* The claim form: sub-types filtered by the chosen event type, and a map to place the point. */
(function () {
  "use strict";
  var eventType = document.getElementById("id_event_type");
  var subType = document.getElementById("id_sub_event_type");
  if (eventType && subType) {
    var filterSubTypes = function () {
      var chosen = eventType.value;
      Array.prototype.forEach.call(subType.querySelectorAll("optgroup"), function (group) {
        var show = !chosen || group.label === chosen;
        group.hidden = !show;
        group.disabled = !show;
      });
      var selected = subType.options[subType.selectedIndex];
      if (selected && selected.parentNode.tagName === "OPTGROUP" && selected.parentNode.disabled) {
        subType.value = "";
      }
    };
    eventType.addEventListener("change", filterSubTypes);
    filterSubTypes();
  }

  var G = window.SulhGeo;
  var el = document.getElementById("claim-map");
  var lat = document.getElementById("id_latitude");
  var lon = document.getElementById("id_longitude");
  if (!el || !window.L || !G || !lat || !lon) { return; }
  var map = G.newMap("claim-map");
  var layers = G.readJSON("sulh-layers") || {};
  var added = G.addCharterLayers(map, layers, ["territories", "sectors", "border", "crossings", "posts"]);
  G.fit(map, added.border || added.territories);
  var marker = null;

  function place(latlng, pan) {
    if (marker) { marker.setLatLng(latlng); }
    else {
      marker = L.circleMarker(latlng, { radius: 8, color: "#000", weight: 2, fillColor: "#ff3b30", fillOpacity: 0.9 }).addTo(map);
    }
    if (pan) { map.panTo(latlng); }
  }
  function fromInputs(pan) {
    var a = parseFloat(lat.value), b = parseFloat(lon.value);
    if (isFinite(a) && isFinite(b) && Math.abs(a) <= 90 && Math.abs(b) <= 180) { place([a, b], pan); }
  }
  map.on("click", function (e) {
    lat.value = e.latlng.lat.toFixed(5);
    lon.value = e.latlng.lng.toFixed(5);
    place(e.latlng, false);
    lat.dispatchEvent(new Event("change", { bubbles: true }));
  });
  lat.addEventListener("change", function () { fromInputs(true); });
  lon.addEventListener("change", function () { fromInputs(true); });
  fromInputs(false);
})();
