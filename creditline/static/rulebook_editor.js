// The rulebook editor: YAML highlighting, and each schema problem marked in the gutter at its line.
(function () {
  "use strict";
  var area = document.getElementById("rulebook_yaml");
  if (!area || typeof CodeMirror === "undefined") { return; }
  var editor = CodeMirror.fromTextArea(area, {
    mode: "yaml", lineNumbers: true, indentUnit: 2, tabSize: 2, viewportMargin: Infinity,
    gutters: ["CodeMirror-linenumbers", "problem-gutter"],
    extraKeys: { Tab: function (cm) { cm.replaceSelection("  "); } }
  });
  window.rulebookEditor = editor;
  var items = document.querySelectorAll("#problems li[data-line]");
  Array.prototype.forEach.call(items, function (item) {
    var line = parseInt(item.getAttribute("data-line"), 10) - 1;
    if (line < 0 || line >= editor.lineCount()) { return; }
    var marker = document.createElement("span");
    marker.className = "problem-marker";
    marker.title = item.textContent;
    marker.textContent = "●";
    editor.setGutterMarker(line, "problem-gutter", marker);
    editor.addLineClass(line, "background", "problem-line");
  });
  Array.prototype.forEach.call(document.querySelectorAll("a.goto-line"), function (link) {
    link.addEventListener("click", function (event) {
      event.preventDefault();
      var line = parseInt(link.getAttribute("data-line"), 10) - 1;
      editor.focus();
      editor.setCursor({ line: line, ch: 0 });
      editor.scrollIntoView({ line: line, ch: 0 }, 80);
    });
  });
}());
