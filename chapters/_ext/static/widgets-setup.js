// Glue between the page and the Jupyter widget manager (embed-amd.js),
// loaded after RequireJS and before the manager.

// 1. The manager loads its icon fonts from the folder of its own RequireJS
//    module. Point that module at the copy served with the book, next to
//    this file, so the fonts come from this site.
require.config({
  paths: {
    "@jupyter-widgets/html-manager/dist": new URL(
      "vendor/html-manager/dist",
      document.currentScript.src,
    ).href,
  },
});

// 2. The widgets typeset their labels through MathJax 2's MathJax.Hub.Queue,
//    which MathJax 3 (the book's) does not have. Offer that one call on top
//    of MathJax 3. MathJax is a deferred script, so it has run by the time
//    DOMContentLoaded fires; this listener is registered before the
//    manager's, so the call exists before the first widget is drawn.
document.addEventListener("DOMContentLoaded", () => {
  const mathjax = window.MathJax;
  if (!mathjax || mathjax.Hub || !mathjax.startup) {
    return;
  }
  mathjax.Hub = {
    Queue(call) {
      const element = Array.isArray(call) ? call[2] : undefined;
      if (element) {
        mathjax.startup.promise.then(() => mathjax.typesetPromise([element]));
      }
    },
  };
});
