// Behaviour that used to be inline (the Content-Security-Policy allows no inline script):
// selects that submit their form on change, the evidence "Hide" button, upload progress.
(function () {
  "use strict";
  document.addEventListener("change", function (evt) {
    var el = evt.target;
    if (el && el.matches && el.matches("[data-autosubmit]") && el.form) el.form.submit();
  });
  document.addEventListener("click", function (evt) {
    var button = evt.target && evt.target.closest && evt.target.closest(".evidence-close");
    if (!button) return;
    var row = button.closest("tr");
    if (row) { row.className = "evidence-slot"; row.innerHTML = ""; }
  });
  document.addEventListener("htmx:xhr:progress", function (evt) {
    var bar = document.getElementById("upload-progress");
    if (!bar || !evt.detail.lengthComputable) return;
    var pct = Math.round(100 * evt.detail.loaded / evt.detail.total);
    bar.hidden = false; bar.value = pct;
    document.getElementById("upload-percent").textContent = pct + " %";
  });
  document.addEventListener("htmx:responseError", function (evt) {
    if (!evt.detail.elt || evt.detail.elt.id !== "upload") return;
    var html = new DOMParser().parseFromString(evt.detail.xhr.responseText, "text/html");
    var err = html.getElementById("upload-error");
    document.getElementById("upload-error").textContent = err ? err.textContent : evt.detail.xhr.statusText;
  });
})();
