// Tell people when an htmx request fails, so an edit never disappears silently.
(function () {
  "use strict";
  function notify(text) {
    var region = document.getElementById("notices");
    if (!region) return;
    var notice = document.createElement("p");
    notice.className = "notice notice--error";
    notice.textContent = text;
    region.replaceChildren(notice);
  }
  document.addEventListener("htmx:responseError", function (event) {
    var status = event.detail.xhr.status;
    var reason = status === 403 ? "you are not allowed to do that" : status === 404 ? "it no longer exists" : "the server had a problem (" + status + ")";
    notify("That didn't go through: " + reason + ". Anything you typed is still on the page.");
  });
  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-print]")) window.print();
  });
  document.addEventListener("htmx:sendError", function () {
    notify("Couldn't reach PlatformHub. Check your connection; anything you typed is still on the page.");
  });
})();
