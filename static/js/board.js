// Drag and drop on the board (SortableJS): a drop posts the card's own "Move to" form with the
// column it was dropped on; the answer puts the card where the server put it (see board.html).
(function () {
  "use strict";
  function setUp(root) {
    root.querySelectorAll(".board-column__cards").forEach(function (list) {
      if (list.dataset.sortable) return;
      list.dataset.sortable = "yes";
      window.Sortable.create(list, {
        group: "board",
        animation: 120,
        filter: "select, button, input, label, a",
        preventOnFilter: false,
        onEnd: function (event) {
          if (event.from === event.to) return;
          var column = event.to.dataset.column;
          var form = event.item.querySelector("form");
          var values = { column: column };
          if (column === "blocked") values.blocked_reason = window.prompt("What is it blocked on?") || "";
          window.htmx.ajax("POST", form.getAttribute("action"), {
            source: form, target: event.item, swap: "outerHTML", values: values,
          });
        },
      });
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    setUp(document);
    document.body.addEventListener("htmx:afterSettle", function () { setUp(document); });
  });
})();
