/* Swagger UI on the API page (django-ninja's init, without inline script): settings from the JSON block,
   the CSRF token for requests made with the session. */
(function () {
  "use strict";
  var root = document.getElementById("swagger-ui");
  var config = JSON.parse(document.getElementById("swagger-settings").textContent);
  config.dom_id = "#swagger-ui";
  config.presets = [window.SwaggerUIBundle.presets.apis, window.SwaggerUIBundle.SwaggerUIStandalonePreset];
  if (root.dataset.apiCsrf && root.dataset.csrfToken) {
    config.requestInterceptor = function (req) { req.headers["X-CSRFToken"] = root.dataset.csrfToken; return req; };
  }
  window.SwaggerUIBundle(config);
})();
