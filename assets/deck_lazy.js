/* deck.gl (deckgl-dash's 3 MB bundle) only when a 3D view is on screen.
 *
 * ui/bundles.py takes the bundle out of the page's script tags. This stand-in is window.deckgl_dash's
 * DeckGL: Dash renders it wherever the layout has a DeckGL; it draws an empty box of the same size and,
 * the first time the box is visible (its tab or panel is shown), loads the bundle and renders the real
 * component inside with the same props (id, setProps, layers, ...). It stays the component Dash sees once
 * the bundle is there (the bundle's own window.deckgl_dash is kept aside), so a deck that has never been
 * visible stays the empty box however often Dash renders it again: the 3D view is mounted when first
 * shown (ui/layout.py), and its hidden second deck must not start a WebGL context of its own. Visitors
 * who never open 3D never download the bundle.
 */
(function () {
  'use strict';
  var NS = 'deckgl_dash';
  if (window[NS] || !window.React) { return; }  // already loaded (eager) or not a Dash page
  var React = window.React;
  var loading = null;
  var bundle = null;  // the bundle's own window.deckgl_dash, once loaded
  var exposed = null;

  function bundleUrl() {
    var prefix = '/';
    try {
      prefix = JSON.parse(document.getElementById('_dash-config').textContent).requests_pathname_prefix || '/';
    } catch (e) { /* the default prefix */ }
    return prefix + '_dash-component-suites/deckgl_dash/deckgl_dash.min.js';
  }

  function load() {
    if (!loading) {
      loading = new Promise(function (resolve, reject) {
        var script = document.createElement('script');
        script.src = bundleUrl();
        script.onload = function () {
          if (bundle && bundle.DeckGL && bundle.DeckGL !== LazyDeckGL) { resolve(bundle.DeckGL); } else { reject(new Error('deckgl_dash')); }
        };
        script.onerror = function () { loading = null; reject(new Error('deckgl_dash')); };
        document.head.appendChild(script);
      });
    }
    return loading;
  }

  // A camera preset glides (ui/view3d.py: transitionDuration); it jumps where less motion is asked for
  // (assets/motion.js).
  function stillCamera(props) {
    var view = props.initialViewState, ns = window.buergergis || {};
    if (!view || !view.transitionDuration || !ns.reducedMotion || !ns.reducedMotion()) { return props; }
    var still = Object.assign({}, view);
    delete still.transitionDuration;
    return Object.assign({}, props, {initialViewState: still});
  }

  function LazyDeckGL(props) {
    var state = React.useState(null), Real = state[0], setReal = state[1];
    var failed = React.useState(false), hasFailed = failed[0], setFailed = failed[1];
    var box = React.useRef(null);
    React.useEffect(function () {
      var node = box.current, observer = null, done = false;
      function start() {
        if (done) { return; }
        done = true;
        if (observer) { observer.disconnect(); }
        load().then(function (component) { setReal(function () { return component; }); },
                    function () { setFailed(true); });
      }
      if (!node) { return undefined; }
      // The views keep their size while hidden (visibility: hidden, so deck.gl measures a real box);
      // what counts is being visible. Views are shown by toggling attributes and classes.
      function shown() {
        if (!node.isConnected || node.offsetWidth === 0) { return false; }
        if (node.checkVisibility) { return node.checkVisibility({visibilityProperty: true, checkOpacity: false}); }
        return window.getComputedStyle(node).visibility !== 'hidden';
      }
      if (shown()) { start(); return undefined; }
      observer = new MutationObserver(function () { if (shown()) { start(); } });
      observer.observe(document.body, {attributes: true, subtree: true, attributeFilter: ['hidden', 'class', 'style']});
      var resize = new ResizeObserver(function () { if (shown()) { start(); } });
      resize.observe(node);
      var stop = observer.disconnect.bind(observer);
      observer = {disconnect: function () { stop(); resize.disconnect(); }};
      return function () { done = true; observer.disconnect(); };
    }, []);
    if (Real) { return React.createElement(Real, stillCamera(props)); }
    var english = (document.documentElement.lang || 'de').slice(0, 2) === 'en';
    var text = hasFailed ? (english ? '3D view could not be loaded. Please reload the page.'
                                    : '3D-Ansicht konnte nicht geladen werden. Bitte laden Sie die Seite neu.')
                         : (english ? 'Loading 3D view …' : '3D-Ansicht wird geladen …');
    return React.createElement('div', {
      ref: box, id: props.id, className: 'deck-lazy', role: 'status',
      style: Object.assign({width: '100%', height: '100%', minHeight: '200px'}, props.style || {})
    }, text);
  }

  exposed = {DeckGL: LazyDeckGL};
  Object.defineProperty(window, NS, {
    configurable: true,
    get: function () { return exposed; },
    set: function (value) {  // the bundle announcing itself: its other exports as they are, DeckGL stays ours
      bundle = value;
      exposed = Object.assign({}, value, {DeckGL: LazyDeckGL});
    }
  });
})();
