// A page waiting for an online payment: count down the time the places are held, and ask the server every few
// seconds whether the payment has arrived. When the booking no longer waits (paid, or the time ran out), reload:
// the server shows what comes next. The server's seconds are followed, not the phone's clock.
(function () {
  "use strict";
  var status = document.querySelector("[data-pay-status]");
  if (!status || typeof window.fetch !== "function") {
    return;
  }
  var clock = document.querySelector("[data-countdown]");
  var left = clock ? parseInt(clock.dataset.seconds, 10) : NaN;
  var POLL = 2500;

  function show() {
    if (!clock || isNaN(left)) {
      return;
    }
    var seconds = Math.max(0, left);
    clock.textContent = Math.floor(seconds / 60) + ":" + ("0" + (seconds % 60)).slice(-2);
    status.classList.toggle("soon", seconds < parseInt(status.dataset.soon, 10));
  }

  function poll() {
    window.fetch(status.dataset.payStatus, { headers: { Accept: "application/json" }, credentials: "same-origin",
                                             cache: "no-store" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (state) {
        if (state && !state.waiting) {
          window.location.reload();
          return;
        }
        if (state && typeof state.seconds_left === "number") {
          left = state.seconds_left;
          show();
        }
        window.setTimeout(poll, POLL);
      }, function () {
        window.setTimeout(poll, POLL * 2);
      });
  }

  window.setInterval(function () {
    left -= 1;
    show();
  }, 1000);
  window.setTimeout(poll, POLL);
})();
