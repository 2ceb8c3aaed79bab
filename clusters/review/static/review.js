// Progressive enhancement for the review app: keyboard shortcuts and cluster search.
// Every action also works with the mouse and without JavaScript.
//   c confirm · r reject · s skip · l search clusters (Enter ticks the first match,
//   Escape leaves the search) · Ctrl/Cmd+Enter save the relabel · n review next (queue page)
(function () {
  "use strict";

  function typing(target) {
    var tag = target && target.tagName ? target.tagName.toLowerCase() : "";
    return tag === "input" || tag === "textarea" || tag === "select" || (target && target.isContentEditable);
  }

  function visibleClusters() {
    return Array.prototype.filter.call(document.querySelectorAll("label.cluster"), function (el) {
      return !el.hidden;
    });
  }

  function filterClusters(query) {
    var q = query.trim().toLowerCase();
    document.querySelectorAll("label.cluster").forEach(function (el) {
      el.hidden = q !== "" && (el.getAttribute("data-search") || "").indexOf(q) === -1;
    });
  }

  function setupSearch() {
    var search = document.getElementById("cluster-search");
    if (!search) return;
    search.addEventListener("input", function () { filterClusters(search.value); });
    search.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && !(event.ctrlKey || event.metaKey)) {
        event.preventDefault();  // Enter here never submits the form
        var first = visibleClusters()[0];
        if (first) {
          var box = first.querySelector("input[type=checkbox]");
          box.checked = !box.checked;
          var none = document.getElementById("none-of-these");
          if (box.checked && none) none.checked = false;
        }
      } else if (event.key === "Escape") {
        search.value = "";
        filterClusters("");
        search.blur();
      }
    });
    // "none of these" and a cluster exclude each other
    var none = document.getElementById("none-of-these");
    var boxes = document.querySelectorAll("label.cluster input[type=checkbox]");
    if (none) {
      none.addEventListener("change", function () {
        if (!none.checked) return;
        boxes.forEach(function (box) { box.checked = false; });
      });
      boxes.forEach(function (box) {
        box.addEventListener("change", function () { if (box.checked) none.checked = false; });
      });
    }
  }

  function clickShortcut(key) {
    var button = document.querySelector('[data-shortcut="' + key + '"]');
    if (button) {
      button.click();
      return true;
    }
    return false;
  }

  document.addEventListener("keydown", function (event) {
    if ((event.ctrlKey || event.metaKey) && event.key === "Enter") {
      var relabel = document.getElementById("relabel");
      if (relabel) {
        event.preventDefault();
        relabel.click();
      }
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
    var key = event.key.toLowerCase();
    if (key === "l" || key === "/") {
      var search = document.querySelector("[data-shortcut-focus]");
      if (search) {
        event.preventDefault();
        search.focus();
      }
      return;
    }
    if (clickShortcut(key)) event.preventDefault();
  });

  document.addEventListener("DOMContentLoaded", setupSearch);
})();
