// Clientmap's small page behaviours, as a static file (the pages allow no inline script).
(function () {
  "use strict";
  // A select marked data-autosubmit submits its form when changed (the language switch).
  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el && el.matches && el.matches("select[data-autosubmit]") && el.form) {
      if (el.form.requestSubmit) { el.form.requestSubmit(); } else { el.form.submit(); }
    }
  });
  // The language switch also shows its button without script; with script it is not needed.
  document.documentElement.classList.add("js");
})();
