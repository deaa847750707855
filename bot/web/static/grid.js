// The critics' grid, sorted in place when the whole grid is on the page (it has one page of films).
// The header links work without this script: each asks the server for the grid sorted by its column.
// Here a click (or Enter on a focused link) sorts the rows already loaded, in the server's order: by the
// column's data-sort numbers, rows without a value last, ties in title order (the film column's numbers).
(function () {
  "use strict";
  var table = document.querySelector("table.grid[data-complete='true']");
  if (!table || !table.tHead || !table.tBodies.length) {
    return;
  }
  var headers = Array.prototype.slice.call(table.tHead.rows[0].cells);
  var body = table.tBodies[0];
  var status = document.getElementById("grid-status");
  var form = document.querySelector("form.filter");

  function value(row, index) {
    var text = row.cells[index].getAttribute("data-sort");
    return text === null || text === "" ? null : parseFloat(text);
  }

  function compare(index, direction) {
    return function (a, b) {
      var x = value(a, index);
      var y = value(b, index);
      if (x !== null && y !== null && x !== y) {
        return direction === "asc" ? x - y : y - x;
      }
      if ((x === null) !== (y === null)) {
        return x === null ? 1 : -1;
      }
      return value(a, 0) - value(b, 0);
    };
  }

  function sort(key, direction) {
    var index = headers.findIndex(function (th) { return th.dataset.key === key; });
    if (index < 0 || (direction !== "asc" && direction !== "desc")) {
      return false;
    }
    var rows = Array.prototype.slice.call(body.rows).sort(compare(index, direction));
    rows.forEach(function (row) { body.appendChild(row); });
    headers.forEach(function (th) {
      var link = th.querySelector("a");
      var next = th.dataset.first;
      if (th.dataset.key === key) {
        th.setAttribute("aria-sort", direction === "asc" ? "ascending" : "descending");
        next = direction === "asc" ? "desc" : "asc";
      } else {
        th.removeAttribute("aria-sort");
      }
      var url = new URL(link.href);
      url.searchParams.set("sort", th.dataset.key);
      url.searchParams.set("dir", next);
      link.href = url.toString();
    });
    if (form) {
      form.elements.namedItem("sort").value = key;
      form.elements.namedItem("dir").value = direction;
    }
    var here = new URL(window.location.href);
    here.searchParams.set("sort", key);
    here.searchParams.set("dir", direction);
    window.history.replaceState(null, "", here.toString());
    if (status) {
      status.textContent = "Sorted by " + headers[index].textContent.trim() + ", " +
        (direction === "asc" ? "ascending" : "descending") + ".";
    }
    return true;
  }

  table.tHead.addEventListener("click", function (event) {
    var link = event.target.closest("th a");
    if (!link || event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) {
      return;
    }
    var url = new URL(link.href);
    if (sort(url.searchParams.get("sort"), url.searchParams.get("dir"))) {
      event.preventDefault();
      link.focus();
    }
  });
  table.classList.add("sorts-in-place");
})();
