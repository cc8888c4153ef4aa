// MathJax 3 configured as Anki's reviewer configures it: only \( \) and \[ \] delimiters,
// no $ and no bare environments, the noerrors and mathtools packages, no textmacros.
window.MathJax = {
  tex: {
    inlineMath: [["\\(", "\\)"]],
    displayMath: [["\\[", "\\]"]],
    processEscapes: false,
    processEnvironments: false,
    processRefs: false,
    packages: { "[+]": ["noerrors", "mathtools"], "[-]": ["textmacros"] },
  },
  loader: { load: ["[tex]/noerrors", "[tex]/mathtools"] },
  options: { enableMenu: false },
  startup: {
    pageReady: () =>
      MathJax.startup.defaultPageReady().then(() => {
        document.documentElement.dataset.mathjax = "ready";
      }),
  },
};
