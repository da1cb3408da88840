// Drag and drop on the board (SortableJS): a drop posts the same move as the "Move to" control.
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
          var board = document.getElementById("board-columns");
          var values = {
            column: column, version: event.item.dataset.version, query: board.dataset.query, board: board.dataset.board,
          };
          if (column === "blocked") values.blocked_reason = window.prompt("What is it blocked on?") || "";
          window.htmx.ajax("POST", event.item.dataset.moveUrl, {
            source: event.item, target: "#board-columns", swap: "outerHTML", values: values,
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
