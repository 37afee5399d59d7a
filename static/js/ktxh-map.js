// ktxh-geo map helpers: static code, no data. Loaded by every app map (a content-hashed URL, so a browser cache is
// never stale) and inlined into exported HTML. Every data-bearing call passes its data as one inert JSON literal
// (render/escape.script_json); text reaches the page only through textContent or as HTML escaped on the server.
// render/maps.py calls these as ktxh.<name>(map, spec); tests/js/ktxh-map.test.js tests restyle and rows in node.
(function (root) {
root.ktxh = root.ktxh || {};
(function (K) {
  K.rows = function (rows) {
    var box = document.createElement('div');
    rows.forEach(function (r) {
      var line = document.createElement('div');
      if (r[2]) line.className = r[2];
      if (r[0]) { var b = document.createElement('b'); b.textContent = r[0] + ': '; line.appendChild(b); }
      line.appendChild(document.createTextNode(r[1]));
      box.appendChild(line);
    });
    return box;
  };
  K.fetchJSON = function (url) {
    K.cache = K.cache || {};
    if (!K.cache[url]) K.cache[url] = fetch(url).then(function (r) { return r.json(); });
    return K.cache[url];
  };
  K.halo = function (map, f, l, pane) {
    // A white ring under an object symbol, so it stays visible on a fill of its own colour.
    var own = (f.properties && f.properties._s) || {}, o = Object.assign({}, l.options || {}, own);
    var style = { color: '#fff', weight: (o.weight || 2) + 4, opacity: 0.95, fill: false, interactive: false,
      className: 'ktxh-halo', radius: o.radius || 8 };
    if (pane) style.pane = pane;
    var h = L.geoJSON(f.geometry, { interactive: false, style: style, pane: pane || 'overlayPane',
      pointToLayer: function (g, latlng) { return L.circleMarker(latlng, style); } });
    return h.addTo(map);
  };
  // Per-map state (a comparison page holds two maps in one window): named layers, fetches in flight, the fitter,
  // the restyle's controls and selection.
  K.of = function (map) {
    if (!map._ktxh) map._ktxh = { layers: {}, pending: 0, wantStyle: false, styled: 0, fitter: null, dyn: null };
    return map._ktxh;
  };
  // A GeoJSON layer: per-feature style (_s), tooltip rows (_t), popup rows (_p) as data. spec.props (code → own
  // properties) may be replaced later by K.restyle: the layer keeps its shapes and takes the new styles and rows.
  K.geo = function (map, spec) {
    var pane = spec.pane || 'overlayPane';
    if (!map.getPane(pane)) map.createPane(pane).style.zIndex = 450;  // above the communes, under the labels
    var layer = L.geoJSON(null, {
      pane: pane,
      interactive: spec.interactive !== false,
      smoothFactor: spec.smooth || 1,
      style: function (f) { return K.featureStyle(spec, f); },
      pointToLayer: function (f, latlng) { return L.circleMarker(latlng, { radius: 8, pane: pane }); },
      onEachFeature: function (f, l) {
        var p = f.properties || {};
        if (spec.halo) K.halo(map, f, l, pane);
        K.bindRows(l, spec);
        if (p._p) l.bindPopup(function () { return K.rows(l.feature.properties._p || []); }, { maxWidth: 320 });
        if (spec.highlight) {
          l.on('mouseover', function () { l.setStyle(spec.highlight); if (l.bringToFront) l.bringToFront(); });
          l.on('mouseout', function () { layer.resetStyle(l); });
        }
      }
    }).addTo(map);
    layer.ktxhSpec = spec;
    layer.ktxhMap = map;
    var M = K.of(map);
    if (spec.name) M.layers[spec.name] = layer;
    if (spec.restyle) M.wantStyle = true;  // settled only once K.restyle has given the styles
    function show(fc) {
      if (spec.props) {
        fc = { type: 'FeatureCollection', features: fc.features.map(function (f) {
          return { type: 'Feature', geometry: f.geometry, properties: K.own(spec, f.properties) };
        }) };
      }
      layer.addData(fc);
      layer.ktxhLoaded = true;
      if (spec.open) {
        layer.eachLayer(function (l) { if (l.feature && l.feature.properties.id === spec.open) l.openPopup(); });
      }
      (layer.ktxhOnLoad || []).forEach(function (fn) { fn(); });
      layer.ktxhOnLoad = [];
    }
    if (spec.url) {
      M.pending++;
      K.fetchJSON(spec.url).then(show).finally(function () { M.pending--; K.settle(map); });
    } else show(spec.data);
    return layer;
  };
  // A feature's own properties: its code and, when the layer has them, the style and rows given for that code.
  K.own = function (spec, p) {
    var code = p && p.code, own = spec.props && spec.props[code];
    return own ? Object.assign({ code: code }, own) : (p || {});
  };
  K.featureStyle = function (spec, f) {
    var own = (f && f.properties && f.properties._s) || {};
    return Object.assign({}, spec.style || {}, own);
  };
  // Tooltip rows read when shown (so a restyle changes them); no tooltip for a feature without rows.
  K.bindRows = function (l, spec) {
    var rows = l.feature && l.feature.properties && l.feature.properties._t;
    if (rows && !l.getTooltip()) {
      l.bindTooltip(function () { return K.rows(l.feature.properties._t || []); }, { sticky: !!spec.sticky });
    } else if (!rows && l.getTooltip()) l.unbindTooltip();
  };
  // Restyle in place (a rerun of the thematic map page): new styles and tooltip rows by code on the communes
  // layer, outline style, contrast class, the legend/title/banner controls replaced, the selected unit outlined,
  // and the view (fit a unit or the area, or a centre/zoom from a link). Shapes, labels and the frame stay.
  K.restyle = function (map, spec) {
    if (spec.units) spec = Object.assign({}, spec, { props: K.expand(spec) });
    var M = K.of(map), D = M.dyn = M.dyn || { controls: [], sel: null, fit: undefined };
    var layer = M.layers[spec.layer || 'communes'];
    D.controls.forEach(function (c) { map.removeControl(c); });
    D.controls = (spec.controls || []).map(function (c) { return K.control(map, c); });
    map.getContainer().classList.toggle('ktxh-contrast', !!spec.contrast);
    if (M.labels) M.labels.place();
    var outline = M.layers.outline;
    if (outline && spec.outline) { outline.ktxhSpec.style = spec.outline; outline.setStyle(spec.outline); }
    M.restyled = (M.restyled || 0) + 1;
    var seq = M.restyled;
    function apply() {
      if (!layer) return;
      var s = layer.ktxhSpec;
      s.props = spec.props || {};
      if (spec.style) s.style = spec.style;
      layer.eachLayer(function (l) {
        l.feature.properties = K.own(s, { code: l.feature.properties.code });
        l.setStyle(K.featureStyle(s, l.feature));
        K.bindRows(l, s);
      });
      if (D.sel) { map.removeLayer(D.sel); D.sel = null; }
      if (spec.selected) {
        layer.eachLayer(function (l) {
          if (l.feature.properties.code === spec.selected.code) {
            D.sel = L.geoJSON(l.feature.geometry, { interactive: false, style: spec.selected.style }).addTo(map);
          }
        });
      }
      M.styled = seq;
      K.settle(map);
    }
    var fit = JSON.stringify(spec.fit || null);
    if (spec.view) {
      K.touched = true;  // a centre/zoom from a link: keep it (as a user's move)
      K.viewing = true;
      try { map.setView([spec.view[0], spec.view[1]], spec.view[2], { animate: false }); }
      finally { K.viewing = false; }
    } else if (fit !== D.fit) {
      K.touched = false;  // a new place to show (another unit chosen, or the whole area again)
      if (M.fitter) M.fitter.bounds = spec.fit ? L.latLngBounds(spec.fit) : M.fitter.area;
    }
    D.fit = fit;
    if (M.fitter) M.fitter.refit();
    if (layer && layer.ktxhLoaded) apply();
    else if (layer) (layer.ktxhOnLoad = layer.ktxhOnLoad || []).push(apply);
    return layer;
  };
  // Per-unit fill and tooltip rows from their compact form (render/maps.compact_props: each text written once).
  K.expand = function (spec) {
    var t = spec.texts, out = {};
    Object.keys(spec.units).forEach(function (code) {
      var u = spec.units[code], rows = [];
      for (var i = 0; i + 1 < u[1].length; i += 2) rows.push([t[u[1][i]], t[u[1][i + 1]]]);
      out[code] = { _s: { fillColor: t[u[0]] }, _t: rows };
    });
    return out;
  };
  // The "map settled" signal: once no geometry is being fetched and the last restyle (if the map has one) is
  // applied, after the next frame: data-ktxh-settled on the map's container holds the number of restyles applied.
  K.settle = function (map) {
    var M = K.of(map);
    if (M.pending > 0 || (M.wantStyle && !M.styled)) return;
    var c = map.getContainer(), seq = String(M.styled || 0);
    requestAnimationFrame(function () { setTimeout(function () { c.setAttribute('data-ktxh-settled', seq); }, 0); });
  };
  K.scale = function (map) { return L.control.scale({ imperial: false, maxWidth: 160 }).addTo(map); };
  // Leaflet's guess of its marker images drops a "/" inside the streamlit-folium iframe; Leaflet's credit without its
  // flag (spec.prefix).
  K.iconPath = function (map, spec) {
    L.Icon.Default.imagePath = spec.path;
    if (map.attributionControl && spec.prefix) map.attributionControl.setPrefix(spec.prefix);  // no flag
  };
  // A small notice on the map when base tiles cannot load (no internet).
  K.tileNotice = function (map, spec) {
    var shown = false;
    map.eachLayer(function (t) {
      if (!(t instanceof L.TileLayer)) return;
      t.on('tileerror', function () {
        if (shown) return;
        shown = true;
        K.control(map, { position: 'bottomleft', cls: 'ktxh-notice', html: spec.html });
      });
    });
  };
  // Mirror the live centre/zoom into the parent page's URL on every user move (history.replaceState, no rerun).
  K.urlSync = function (map) {
    map.on('moveend', function () {
      if (K.fitting || K.viewing) return;  // fitted or placed by the app, not moved by the user
      try {
        var c = map.getCenter(), loc = window.parent.location;
        var q = new URLSearchParams(loc.search);
        q.set('center', c.lat.toFixed(5) + ',' + c.lng.toFixed(5));
        q.set('zoom', String(Math.round(map.getZoom() * 100) / 100));
        window.parent.history.replaceState(window.parent.history.state, '',
          loc.pathname + '?' + q.toString().replace(/%2C/g, ','));
      } catch (err) { /* not embedded in the app page: nothing to sync */ }
    });
  };
  // Presentation: slide keys and Esc pressed while the map has focus reach the app page.
  K.keyForward = function () {
    document.addEventListener('keydown', function (e) {
      var keys = ['ArrowLeft', 'ArrowRight', 'PageUp', 'PageDown', 'Escape'];
      if (keys.indexOf(e.key) < 0) return;
      try {
        e.preventDefault();
        window.parent.document.dispatchEvent(new KeyboardEvent('keydown', { key: e.key, bubbles: true }));
      } catch (err) { /* not embedded */ }
    });
  };
  // Labels placed greedily (items in the given order: largest unit first), each at its point or at one of a
  // few offsets; a label that would overlap one already placed (or an overlay) is hidden. Recomputed on zoom.
  // Where each label goes, in order (most important first): [dx, dy] from its anchor, or null (hidden). A label
  // takes the first nearby position that overlaps nothing placed before it (nor the ``busy`` rectangles: the map's
  // controls) and lies wholly inside the map (``size``): a label is never shown cut at the map's edge.
  K.placeLabels = function (boxes, size, busy) {
    var OFFS = [[0, 0], [0, -0.9], [0, 0.9], [-0.45, 0], [0.45, 0], [-0.35, -0.8], [0.35, -0.8], [-0.35, 0.8],
      [0.35, 0.8], [0, -1.7], [0, 1.7]];
    var taken = busy.slice(), m = 2;
    function hit(a, b) { return a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3]; }
    return boxes.map(function (bx) {
      for (var i = 0; i < OFFS.length; i++) {
        var dx = Math.round(OFFS[i][0] * bx.w), dy = Math.round(OFFS[i][1] * bx.h);
        var r = [bx.p.x + dx - bx.w / 2 - m, bx.p.y + dy - bx.h / 2 - m, bx.p.x + dx + bx.w / 2 + m,
          bx.p.y + dy + bx.h / 2 + m];
        if (r[0] < 0 || r[1] < 0 || r[2] > size.x || r[3] > size.y) continue;
        if (taken.some(function (b) { return hit(r, b); })) continue;
        taken.push(r);
        return [dx, dy];
      }
      return null;
    });
  };
  K.labels = function (map, spec) {
    var group = L.layerGroup(), items = [], shown = spec.show !== false;
    spec.items.forEach(function (it) {
      var el = document.createElement('div');
      el.className = spec.cls + (it[4] ? ' ' + it[4] : '');
      el.textContent = it[2];
      var icon = L.divIcon({ html: el, className: 'ktxh-label-icon', iconSize: [0, 0], iconAnchor: [0, 0] });
      var mk = L.marker([it[0], it[1]], { icon: icon, interactive: false, keyboard: false }).addTo(group);
      items.push({ el: el, marker: mk, area: it[3] || 0 });
    });
    items.sort(function (a, b) { return b.area - a.area; });
    function place() {
      if (!map.hasLayer(group)) return;
      var off = map.getZoom() < (spec.minZoom || 0);
      var busy = K.overlayRects ? K.overlayRects(map).map(function (r) { return [r.x0, r.y0, r.x1, r.y1]; }) : [];
      items.forEach(function (it) { it.el.style.left = '0px'; it.el.style.top = '0px'; });
      var boxes = items.map(function (it) {
        return { w: it.el.offsetWidth, h: it.el.offsetHeight, p: map.latLngToContainerPoint(it.marker.getLatLng()) };
      });
      var spots = off ? items.map(function () { return null; }) : K.placeLabels(boxes, map.getSize(), busy);
      items.forEach(function (it, i) {
        var at = spots[i];
        if (at) { it.el.style.left = at[0] + 'px'; it.el.style.top = at[1] + 'px'; }
        it.el.style.visibility = at ? '' : 'hidden';
      });
    }
    group.place = place;
    K.of(map).labels = group;  // placed again by a restyle (contrast changes their size)
    if (shown) group.addTo(map);
    map.on('zoomend viewreset resize', place);
    map.whenReady(function () { place(); setTimeout(place, 300); setTimeout(place, 1500); });
    if (spec.toggle) {
      var ctl = L.control({ position: 'topright' });
      ctl.onAdd = function () {
        var d = L.DomUtil.create('label', 'ktxh-toggle leaflet-bar');
        var box = document.createElement('input');
        box.type = 'checkbox'; box.checked = shown;
        d.appendChild(box); d.appendChild(document.createTextNode(' ' + spec.toggle));
        L.DomEvent.disableClickPropagation(d);
        L.DomEvent.on(box, 'change', function () {
          if (box.checked) { group.addTo(map); place(); } else { map.removeLayer(group); }
        });
        return d;
      };
      ctl.addTo(map);
    }
    return group;
  };
  // Rectangles (container pixels) of what lies over the map: its controls and, when embedded, the parent page's
  // floating elements (spec.parentSel, e.g. the presentation slide bar).
  K.overlayRects = function (map) {
    var c = map.getContainer(), cr = c.getBoundingClientRect(), out = [];
    function add(r, dx, dy) {
      var x0 = r.left + dx - cr.left, y0 = r.top + dy - cr.top;
      var x1 = r.right + dx - cr.left, y1 = r.bottom + dy - cr.top;
      if (r.width < 1 || r.height < 1 || x1 <= 0 || y1 <= 0 || x0 >= cr.width || y0 >= cr.height) return;
      out.push({ x0: x0, y0: y0, x1: x1, y1: y1 });
    }
    c.querySelectorAll('.leaflet-control').forEach(function (e) {
      if (!e.classList.contains('leaflet-control-attribution')) add(e.getBoundingClientRect(), 0, 0);
    });
    try {
      var fe = window.frameElement;
      if (fe && K.parentSel) {
        var fr = fe.getBoundingClientRect();
        window.parent.document.querySelectorAll(K.parentSel).forEach(function (e) {
          add(e.getBoundingClientRect(), -fr.left, -fr.top);
        });
      }
    } catch (err) { /* not embedded */ }
    return out;
  };
  // Fit bounds in the part of the map that no overlay covers: each overlay is avoided by padding the side
  // (left/right or top/bottom, by the corner it sits in) that keeps the largest zoom.
  K.fitClear = function (map, spec) {
    if (spec.parentSel) K.parentSel = spec.parentSel;
    var gap = spec.gap || 8, F = { area: L.latLngBounds(spec.bounds) };
    F.bounds = F.area;
    function fit() {
      var b = F.bounds;
      if (K.touched) return;  // the user moved a map of this page: never take the view back
      var size = map.getSize(), rects = K.overlayRects(map), best = null;
      var n = Math.min(rects.length, 10);
      for (var mask = 0; mask < (1 << n); mask++) {
        var pad = [gap, gap, gap, gap];  // top, right, bottom, left
        rects.slice(0, n).forEach(function (r, i) {
          var cx = (r.x0 + r.x1) / 2, cy = (r.y0 + r.y1) / 2;
          if (mask & (1 << i)) {
            if (cy < size.y / 2) pad[0] = Math.max(pad[0], r.y1 + gap);
            else pad[2] = Math.max(pad[2], size.y - r.y0 + gap);
          } else if (cx < size.x / 2) pad[3] = Math.max(pad[3], r.x1 + gap);
          else pad[1] = Math.max(pad[1], size.x - r.x0 + gap);
        });
        if (pad[1] + pad[3] > size.x - 40 || pad[0] + pad[2] > size.y - 40) continue;
        var z = map.getBoundsZoom(b, false, L.point(pad[1] + pad[3], pad[0] + pad[2]));
        if (!best || z > best.z) best = { z: z, pad: pad };
      }
      var pad = best ? best.pad : [gap, gap, gap, gap];
      K.fitting = true;  // the URL keeps no centre/zoom for a fitted view (a rerun fits again)
      try {
        map.fitBounds(b, { paddingTopLeft: [pad[3], pad[0]], paddingBottomRight: [pad[1], pad[2]],
          maxZoom: spec.maxZoom || 18, animate: false });
      } finally { K.fitting = false; }
    }
    var c = map.getContainer();
    ['mousedown', 'wheel', 'touchstart', 'keydown'].forEach(function (ev) {
      c.addEventListener(ev, function () { K.touched = true; }, { capture: true, passive: true });
    });
    fit();
    K.settle(map);
    map.on('resize', fit);
    // The late refits (fonts, overlays of the app page, the iframe's final size) are counted: once the last has run,
    // data-ktxh-fitted="1" on the map's container says the map will not move by itself any more.
    var late = [200, 800, 2000].map(function (t) { return new Promise(function (r) { setTimeout(r, t); }); });
    if (document.fonts && document.fonts.ready) late.push(document.fonts.ready);
    c.setAttribute('data-ktxh-fitted', '0');
    late.forEach(function (p) { p.then(fit); });
    Promise.all(late).then(function () { c.setAttribute('data-ktxh-fitted', '1'); });
    F.refit = fit;
    K.of(map).fitter = F;
    return F;
  };
  // A full-screen button (outside presentation mode): the map's frame, else the map itself, fills the screen.
  K.fullscreen = function (map, spec) {
    var ctl = L.control({ position: spec.position || 'topleft' });
    function target() {
      try { if (window.frameElement && window.frameElement.requestFullscreen) return window.frameElement; }
      catch (err) { /* cross-origin: use the map */ }
      return map.getContainer();
    }
    function current() {
      var d = document.fullscreenElement;
      try { d = d || window.parent.document.fullscreenElement; } catch (err) { /* not embedded */ }
      return d;
    }
    ctl.onAdd = function () {
      var bar = L.DomUtil.create('div', 'leaflet-bar ktxh-fullscreen');
      var a = L.DomUtil.create('a', '', bar);
      a.href = '#'; a.setAttribute('role', 'button');
      a.title = spec.title; a.setAttribute('aria-label', spec.title);
      L.DomUtil.create('span', 'ktxh-fs-icon', a);  // four corners drawn in CSS (no font has the glyph)
      L.DomEvent.disableClickPropagation(bar);
      L.DomEvent.on(a, 'click', function (e) {
        L.DomEvent.preventDefault(e);
        var doc = current();
        if (doc) { (doc.ownerDocument || document).exitFullscreen(); return; }
        var t = target(), p = t.requestFullscreen();
        var own = map.getContainer();
        if (p && p.catch) p.catch(function () { if (t !== own) own.requestFullscreen(); });
      });
      return bar;
    };
    ctl.addTo(map);
    window.addEventListener('resize', function () { map.invalidateSize(); });
    return ctl;
  };
  K.control = function (map, spec) {
    var ctl = L.control({ position: spec.position });
    ctl.onAdd = function () {
      var div = L.DomUtil.create('div', spec.cls);
      div.innerHTML = spec.html;
      L.DomEvent.disableClickPropagation(div);
      L.DomEvent.disableScrollPropagation(div);
      return div;
    };
    ctl.addTo(map);
    return ctl;
  };
})(root.ktxh);
if (typeof module !== 'undefined') module.exports = root.ktxh;  // node --test
})(typeof window !== 'undefined' ? window : globalThis);
