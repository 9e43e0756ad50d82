"use strict";
// Start Swagger UI with the spec URL and options the page carries in data attributes.
window.addEventListener("load", function () {
  var box = document.getElementById("swagger-ui-container");
  var config = {url: box.dataset.specUrl, dom_id: "#swagger-ui-container"};
  var extra = JSON.parse(box.dataset.config || "{}");
  Object.keys(extra).forEach(function (key) { config[key] = extra[key]; });
  window.ui = SwaggerUIBundle(config);
});
