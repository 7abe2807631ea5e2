// Progressive enhancement for the hybrid default site. Every page works without this file.
(function () {
  "use strict";

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function ms(value) {
    return value < 10 ? value.toFixed(1) + " ms" : Math.round(value) + " ms";
  }

  // 1. Fill in this server's address in the curl example.
  function showHost() {
    if (!location.host) return;
    var spans = document.querySelectorAll(".js-host");
    for (var i = 0; i < spans.length; i++) spans[i].textContent = location.host;
  }

  // 2. How long this page took, from the Navigation Timing API, measured in this browser.
  function showTiming() {
    var out = document.querySelector("[data-timing]");
    if (!out || !window.performance || !performance.getEntriesByType) return;
    var nav = performance.getEntriesByType("navigation")[0];
    if (!nav || !nav.responseEnd) return;
    var parts = [];
    if (nav.responseStart > 0 && nav.requestStart > 0) {
      parts.push("first byte " + ms(nav.responseStart - nav.requestStart) + " after the request");
    }
    parts.push("response complete at " + ms(nav.responseEnd - nav.startTime));
    if (nav.domContentLoadedEventEnd > 0) {
      parts.push("DOM ready at " + ms(nav.domContentLoadedEventEnd - nav.startTime));
    }
    var cached = nav.transferSize === 0 && nav.decodedBodySize > 0;
    out.textContent = "This page, as timed by your browser: " + parts.join(", ") +
      (cached ? " (served from the browser cache)." : ".");
    out.hidden = false;
  }

  // 3. Ask the server for a file and print the status and response headers it sent back.
  function setUpDemo() {
    var demo = document.querySelector("[data-demo]");
    if (!demo || !window.fetch) return;
    var form = demo.querySelector("[data-demo-form]");
    var out = demo.querySelector("[data-demo-out]");
    var interesting = { "content-type": 1, "date": 1, "server": 1 };
    demo.hidden = false;

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var method = form.elements.method.value;
      var url = new URL(form.elements.path.value, document.baseURI);
      var button = form.querySelector("button");
      button.disabled = true;
      out.textContent = method + " " + url.pathname + " …";
      var started = performance.now();

      fetch(url, { method: method, cache: "no-store" })
        .then(function (response) {
          var headersAt = performance.now();
          var body = method === "GET" ? response.arrayBuffer() : Promise.resolve(null);
          return body.then(function (buffer) {
            render(method, url, response, headersAt - started, buffer, performance.now() - started);
          });
        })
        .catch(function (error) {
          out.textContent = method + " " + url.pathname + "\n\nRequest failed: " + error.message;
        })
        .then(function () { button.disabled = false; });
    });

    function render(method, url, response, headerTime, buffer, totalTime) {
      out.textContent = "";
      out.appendChild(el("span", "", "> " + method + " " + url.pathname + "\n\n"));
      var statusText = response.status + (response.statusText ? " " + response.statusText : "");
      out.appendChild(el("span", response.ok ? "status-ok" : "status-err", "< " + statusText));
      out.appendChild(document.createTextNode("\n"));

      var names = [];
      response.headers.forEach(function (value, name) { names.push([name, value]); });
      names.sort(function (a, b) { return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0; });
      names.forEach(function (pair) {
        var line = el("span", interesting[pair[0]] ? "hl" : "");
        line.appendChild(el("span", "hname", "< " + pair[0] + ":"));
        line.appendChild(document.createTextNode(" " + pair[1]));
        out.appendChild(line);
        out.appendChild(document.createTextNode("\n"));
      });

      var summary = "\nheaders after " + ms(headerTime);
      if (buffer) summary += ", " + buffer.byteLength + " body bytes after " + ms(totalTime);
      out.appendChild(el("span", "", summary));
    }
  }

  showHost();
  setUpDemo();
  if (document.readyState === "complete") {
    setTimeout(showTiming, 0);
  } else {
    window.addEventListener("load", function () { setTimeout(showTiming, 0); });
  }
})();
