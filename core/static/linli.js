// Linli: the only script every page loads. A second tap on a button must not send a form twice.
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.dataset.sent) {
      event.preventDefault();
      return;
    }
    form.dataset.sent = "1";
    var buttons = form.querySelectorAll("button[type=submit], button:not([type])");
    for (var i = 0; i < buttons.length; i++) {
      buttons[i].setAttribute("aria-disabled", "true");
    }
  });
  // A button marked data-print prints the page (a receipt); the page's print style leaves out the menu.
  document.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest("[data-print]")) {
      window.print();
    }
  });
  // Coming back with the browser's Back button shows the form usable again.
  window.addEventListener("pageshow", function () {
    var forms = document.querySelectorAll("form[data-sent]");
    for (var i = 0; i < forms.length; i++) {
      delete forms[i].dataset.sent;
    }
  });
})();
