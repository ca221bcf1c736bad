/* What Dash's renderer needs in the page, done lighter (ui/bundles.py, README: the start page).
 *
 * 1. One store notification per turn of the event loop for Dash's components.
 *    Dash's renderer keeps the page in a Redux store; every mounted component subscribes to it (react-redux)
 *    and runs its selector on each notification. Every component that mounts dispatches an action of its own
 *    (RESET_COMPONENT_STATE), and each callback answer several, so a page of N components did N × N selector
 *    runs while it mounted: most of the start page's main-thread time. Here the store's later subscribers
 *    (React's; Dash's own callback observer subscribed before the store is handed out and is left as it is)
 *    hear of all the dispatches of one task at once, in a microtask after it: the same state, read once.
 *
 * 2. regeneratorRuntime, in place of Babel's 99 kB polyfill (core-js 2 for browsers before 2017, which
 *    ui/bundles.py leaves out of the page). Dash's renderer and dcc use it in one place each, for a
 *    two-step async function without try/catch (isReady of a code-split component); this runs exactly
 *    that form of generator (tests/ui/test_ui_units.py checks the bundles use no other).
 *
 * Loaded before dash-renderer (assets come before it), which takes window.dash_stores as it finds it.
 */
(function () {
  "use strict";

  if (!window.regeneratorRuntime) {
    window.regeneratorRuntime = {
      mark: function (generatorFunction) { return generatorFunction; },
      wrap: function (body, _outer, self) {
        var context = {
          prev: 0, next: 0, sent: undefined, done: false, rval: undefined,
          stop: function () { context.done = true; return context.rval; }
        };
        function step(method, argument) {
          if (context.done) {
            if (method === "throw") { throw argument; }
            return {value: undefined, done: true};
          }
          if (method === "throw") { context.done = true; throw argument; }
          if (method === "return") { context.done = true; return {value: argument, done: true}; }
          context.sent = argument;
          var value = body.call(self, context);
          return {value: value, done: context.done};
        }
        return {
          next: function (value) { return step("next", value); },
          "throw": function (error) { return step("throw", error); },
          "return": function (value) { return step("return", value); }
        };
      }
    };
  }

  var stores = window.dash_stores = window.dash_stores || [];
  if (stores.buergergisBatched) { return; }
  stores.buergergisBatched = true;

  function batch(store) {
    if (!store || store.buergergisBatched || typeof store.subscribe !== "function") { return; }
    store.buergergisBatched = true;
    var listeners = [];
    var scheduled = false;
    function flush() {
      scheduled = false;
      var now = listeners.slice();
      for (var i = 0; i < now.length; i++) {
        if (listeners.indexOf(now[i]) >= 0) { now[i](); }
      }
    }
    store.subscribe(function () {
      if (!scheduled) {
        scheduled = true;
        Promise.resolve().then(flush);
      }
    });
    store.subscribe = function (listener) {
      listeners.push(listener);
      var subscribed = true;
      return function () {
        if (!subscribed) { return; }
        subscribed = false;
        var at = listeners.indexOf(listener);
        if (at >= 0) { listeners.splice(at, 1); }
      };
    };
  }

  var push = stores.push;
  stores.push = function () {
    for (var i = 0; i < arguments.length; i++) { batch(arguments[i]); }
    return push.apply(this, arguments);
  };
})();
