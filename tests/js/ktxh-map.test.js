// node --test tests/js/ktxh-map.test.js (run from tests/unit/test_map_js.py): static/js/ktxh-map.js's restyle and
// rows on a stub of the DOM and of Leaflet — what a rerun of the map page does to the map already on screen.
'use strict';
const test = require('node:test');
const assert = require('node:assert');
const path = require('node:path');

function el(tag) {
  return {
    tag, children: [], className: '', textContent: '', attrs: {}, innerHTML: '', style: {},
    appendChild(c) { this.children.push(c); return c; },
    setAttribute(k, v) { this.attrs[k] = String(v); },
    getAttribute(k) { return this.attrs[k]; },
    classList: { set: new Set(), toggle(c, on) { if (on) this.set.add(c); else this.set.delete(c); } },
  };
}
global.document = { createElement: el, createTextNode: (t) => ({ textContent: t }) };
global.requestAnimationFrame = (f) => f();

function sublayer(feature) {
  return {
    feature, style: null, tip: null,
    setStyle(s) { this.style = s; },
    getTooltip() { return this.tip; },
    bindTooltip(fn) { this.tip = fn; },
    unbindTooltip() { this.tip = null; },
    on() {},
  };
}
global.L = {
  geoJSON(data, opts) {
    const layer = {
      subs: [], opts,
      addTo(map) { map.added.push(this); return this; },
      addData(fc) {
        fc.features.forEach((f) => { const l = sublayer(f); l.setStyle(opts.style(f)); opts.onEachFeature(f, l); this.subs.push(l); });
      },
      eachLayer(fn) { this.subs.forEach(fn); },
      setStyle(s) { this.style = s; },
      resetStyle() {},
    };
    if (data && data.type === 'FeatureCollection') layer.addData(data);
    return layer;
  },
  control() { return { addTo(map) { map.controls.push(this); this.div = this.onAdd(); return this; } }; },
  DomUtil: { create: (tag, cls) => { const e = el(tag); e.className = cls; return e; } },
  DomEvent: { disableClickPropagation() {}, disableScrollPropagation() {} },
  latLngBounds: (b) => ({ b }),
};
const K = require(path.join(__dirname, '..', '..', 'static', 'js', 'ktxh-map.js'));

function map() {
  const container = el('div');
  return {
    added: [], controls: [], panes: {},
    getPane(n) { return this.panes[n]; },
    createPane(n) { this.panes[n] = el('div'); return this.panes[n]; },
    getContainer() { return container; },
    removeControl(c) { this.controls = this.controls.filter((x) => x !== c); },
    removeLayer(l) { this.added = this.added.filter((x) => x !== l); },
  };
}
const square = { type: 'Polygon', coordinates: [[[0, 0], [1, 0], [1, 1], [0, 0]]] };
const fc = { type: 'FeatureCollection', features: ['01', '02'].map((code) => ({ type: 'Feature', properties: { code }, geometry: square })) };
const legend = (t) => ({ position: 'bottomright', cls: 'ktxh-legend', html: t });

test('rows: labels in bold, values as text nodes (never parsed as HTML)', () => {
  const box = K.rows([['Đơn vị', '<img src=x onerror=alert(1)>'], ['', 'x', 'note']]);
  assert.strictEqual(box.children.length, 2);
  assert.strictEqual(box.children[0].children[0].textContent, 'Đơn vị: ');
  assert.strictEqual(box.children[0].children[1].textContent, '<img src=x onerror=alert(1)>');
  assert.strictEqual(box.children[0].innerHTML, '');
  assert.strictEqual(box.children[1].className, 'note');
});

const tick = () => new Promise((r) => setTimeout(r, 5));

test('restyle: new fills and tooltip rows on the same shapes, one legend, the selection, settled count', async () => {
  const m = map();
  const layer = K.geo(m, { data: fc, name: 'communes', restyle: true, style: { weight: 1.2 } });
  const shapes = layer.subs.slice();
  assert.strictEqual(m.getContainer().getAttribute('data-ktxh-settled'), undefined);  // waits for its restyle
  K.restyle(m, {
    props: { '01': { _s: { fillColor: '#111' }, _t: [['Giá trị', '1']] } },
    style: { weight: 1.2 }, controls: [legend('A')],
  });
  assert.strictEqual(layer.subs[0].style.fillColor, '#111');
  assert.strictEqual(layer.subs[1].style.fillColor, undefined);  // no value: base style only
  assert.ok(layer.subs[0].tip && !layer.subs[1].tip);
  assert.strictEqual(layer.subs[0].tip().children[0].children[1].textContent, '1');
  await tick();  // after the next frame
  assert.strictEqual(m.getContainer().getAttribute('data-ktxh-settled'), '1');

  K.restyle(m, {
    props: { '01': { _s: { fillColor: '#222' }, _t: [['Giá trị', '2']] }, '02': { _s: { fillColor: '#333' }, _t: [['Giá trị', '3']] } },
    style: { weight: 2.4 }, contrast: true, controls: [legend('B')],
    selected: { code: '02', style: { color: '#0050ff' } },
  });
  assert.deepStrictEqual(layer.subs, shapes);  // the same shapes, restyled
  assert.deepStrictEqual([layer.subs[0].style.fillColor, layer.subs[1].style.fillColor], ['#222', '#333']);
  assert.strictEqual(layer.subs[1].style.weight, 2.4);
  assert.strictEqual(layer.subs[0].tip().children[0].children[1].textContent, '2');
  assert.deepStrictEqual(m.controls.map((c) => c.div.innerHTML), ['B']);  // the old legend is gone
  assert.ok(m.getContainer().classList.set.has('ktxh-contrast'));
  const outlined = m.added.filter((l) => l.opts && l.opts.style && l.opts.style.color === '#0050ff');
  assert.strictEqual(outlined.length, 1);
  await tick();
  assert.strictEqual(m.getContainer().getAttribute('data-ktxh-settled'), '2');

  K.restyle(m, { props: {}, controls: [] });
  assert.strictEqual(m.added.filter((l) => l.opts && l.opts.style && l.opts.style.color === '#0050ff').length, 0);
  assert.ok(!layer.subs[0].tip && !m.getContainer().classList.set.has('ktxh-contrast'));
});

test('restyle from the compact form: each text once, expanded by code', () => {
  const m = map();
  const layer = K.geo(m, { data: fc, name: 'communes', restyle: true });
  K.restyle(m, { texts: ['#555', 'Đơn vị', 'A', 'Nguồn', 'QĐ 1', 'B'], units: { '01': [0, [1, 2, 3, 4]], '02': [0, [1, 5, 3, 4]] } });
  assert.deepStrictEqual(layer.subs.map((l) => l.style.fillColor), ['#555', '#555']);
  assert.deepStrictEqual(layer.subs[1].feature.properties._t, [['Đơn vị', 'B'], ['Nguồn', 'QĐ 1']]);
});

test('restyle before the shapes arrive: applied when they do', async () => {
  const m = map();
  let resolve;
  global.fetch = () => new Promise((r) => { resolve = r; });
  const layer = K.geo(m, { url: '/app/static/cache/geo/x.geojson', name: 'communes', restyle: true });
  K.restyle(m, { props: { '02': { _s: { fillColor: '#444' } } }, controls: [legend('C')] });
  assert.strictEqual(layer.subs.length, 0);
  resolve({ json: () => fc });
  await new Promise((r) => setTimeout(r, 10));
  assert.strictEqual(layer.subs[1].style.fillColor, '#444');
  assert.strictEqual(m.getContainer().getAttribute('data-ktxh-settled'), '1');
});

test('placeLabels: important labels first, none overlapping, none cut at the map edge', () => {
  const size = { x: 300, y: 200 };
  const spots = K.placeLabels([
    { w: 60, h: 14, p: { x: 150, y: 100 } },  // the capital: placed first, at its anchor
    { w: 60, h: 14, p: { x: 150, y: 100 } },  // same anchor: moved to a free neighbouring place
    { w: 80, h: 14, p: { x: 10, y: 100 } },   // at the left edge: moved inward (right), not cut
    { w: 80, h: 14, p: { x: -60, y: 100 } },  // off the map: hidden
  ], size, [[0, 0, 40, 40]]);
  assert.deepStrictEqual(spots[0], [0, 0]);
  assert.ok(spots[1] && (spots[1][0] !== 0 || spots[1][1] !== 0));
  assert.ok(spots[2]);
  assert.ok(10 + spots[2][0] - 40 >= 0, 'the edge label lies inside the map');
  assert.strictEqual(spots[3], null);
});

test('placeLabels: a label over a control is moved or hidden', () => {
  const spots = K.placeLabels([{ w: 30, h: 10, p: { x: 20, y: 20 } }], { x: 300, y: 200 }, [[0, 0, 200, 200]]);
  assert.strictEqual(spots[0], null);
});

test('fitClear: refits late (fonts, overlays, the iframe size), then marks the map fitted', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const m = map(), c = m.getContainer(), views = [];
  Object.assign(c, {
    getBoundingClientRect: () => ({ left: 0, top: 0, right: 800, bottom: 600, width: 800, height: 600 }),
    querySelectorAll: () => [], addEventListener() {},
  });
  Object.assign(m, { getSize: () => ({ x: 800, y: 600 }), getBoundsZoom: () => 10, on() {},
    fitBounds(b, o) { views.push(o.paddingTopLeft); } });
  L.point = (x, y) => ({ x, y });
  const flush = () => new Promise((r) => setImmediate(r));
  K.fitClear(m, { bounds: [[21.3, 106.0], [21.6, 106.3]] });
  assert.strictEqual(views.length, 1);  // fitted at once
  assert.strictEqual(c.getAttribute('data-ktxh-fitted'), '0');  // late refits to come
  t.mock.timers.tick(1999);
  await flush();
  assert.strictEqual(views.length, 3);  // at 200 and 800 ms
  assert.strictEqual(c.getAttribute('data-ktxh-fitted'), '0');
  t.mock.timers.tick(1);
  await flush();
  assert.strictEqual(views.length, 4);  // the last, at 2000 ms
  assert.strictEqual(c.getAttribute('data-ktxh-fitted'), '1');
});
