// The live page: polls the server's metrics endpoint and draws what it says. Every figure is
// the server's own count; nothing here is estimated but the latency quantiles, which come from
// the histogram's buckets.
(function () {
  "use strict";

  var path = new URLSearchParams(location.search).get("path") || "/metrics";
  var history = [];  // requests per second, oldest first
  var previous = null;

  function parse(text) {
    var samples = {};
    text.split("\n").forEach(function (line) {
      var match = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})?\s+(\S+)$/.exec(line);
      if (match) samples[match[1] + (match[2] || "")] = Number(match[3]);
    });
    return samples;
  }

  function sum(samples, prefix) {
    var total = 0;
    Object.keys(samples).forEach(function (key) {
      if (key.indexOf(prefix) === 0) total += samples[key];
    });
    return total;
  }

  // [{le, count}] with cumulative counts, in bound order.
  function buckets(samples, name) {
    var list = [];
    Object.keys(samples).forEach(function (key) {
      var match = new RegExp("^" + name + '_bucket\\{le="([^"]+)"\\}$').exec(key);
      if (match) list.push({ le: match[1] === "+Inf" ? Infinity : Number(match[1]), count: samples[key] });
    });
    return list.sort(function (a, b) { return a.le - b.le; });
  }

  function quantile(list, q) {
    var total = list.length ? list[list.length - 1].count : 0;
    if (!total) return null;
    var lower = 0;
    var below = 0;
    for (var i = 0; i < list.length; i++) {
      if (list[i].count >= q * total) {
        if (list[i].le === Infinity) return lower;
        var inBucket = list[i].count - below;
        return lower + (list[i].le - lower) * (inBucket ? (q * total - below) / inBucket : 1);
      }
      lower = list[i].le;
      below = list[i].count;
    }
    return lower;
  }

  function seconds(value) {
    if (value === null) return "–";
    if (value < 0.001) return Math.round(value * 1e6) + " µs";
    if (value < 1) return (value * 1e3).toFixed(1) + " ms";
    return value.toFixed(2) + " s";
  }

  function bytes(value) {
    var units = ["B", "KiB", "MiB", "GiB", "TiB"];
    var unit = 0;
    while (value >= 1024 && unit < units.length - 1) { value /= 1024; unit++; }
    return (unit ? value.toFixed(1) : value) + " " + units[unit];
  }

  function show(metric, text) {
    var node = document.querySelector('[data-metric="' + metric + '"]');
    if (node) node.textContent = text;
  }

  function drawRate() {
    var line = document.querySelector('[data-chart="rate"] polyline');
    if (!line) return;
    var top = Math.max.apply(null, history.concat([1]));
    line.setAttribute("points", history.map(function (value, i) {
      var x = 600 - (history.length - 1 - i) * 10;
      return x + "," + (115 - (value / top) * 105).toFixed(1);
    }).join(" "));
  }

  function drawLatency(list) {
    var svg = document.querySelector('[data-chart="latency"]');
    if (!svg || !list.length) return;
    var counts = list.map(function (b, i) { return b.count - (i ? list[i - 1].count : 0); });
    var top = Math.max.apply(null, counts.concat([1]));
    var width = 600 / counts.length;
    while (svg.firstChild) svg.removeChild(svg.firstChild);
    counts.forEach(function (count, i) {
      var height = (count / top) * 110;
      var bar = document.createElementNS("http://www.w3.org/2000/svg", "rect");
      bar.setAttribute("x", (i * width + 2).toFixed(1));
      bar.setAttribute("y", (118 - height).toFixed(1));
      bar.setAttribute("width", (width - 4).toFixed(1));
      bar.setAttribute("height", height.toFixed(1));
      bar.setAttribute("fill", "currentColor");
      var title = document.createElementNS("http://www.w3.org/2000/svg", "title");
      title.textContent = count + " requests ≤ " + (list[i].le === Infinity ? "∞" : seconds(list[i].le));
      bar.appendChild(title);
      svg.appendChild(bar);
    });
  }

  function update(samples) {
    var now = performance.now();
    var requests = sum(samples, "hybrid_responses_total");
    if (previous) {
      var elapsed = (now - previous.at) / 1000;
      history.push(Math.max(0, (requests - previous.requests) / elapsed));
      if (history.length > 60) history.shift();
      show("rate", history[history.length - 1].toFixed(1));
    }
    previous = { at: now, requests: requests };
    var latency = buckets(samples, "hybrid_request_duration_seconds");
    show("requests", String(requests));
    show("latency", seconds(quantile(latency, 0.5)) + " / " + seconds(quantile(latency, 0.99)));
    show("connections", String(samples.hybrid_connections_open || 0));
    show("workers", (samples['hybrid_pool_busy_threads{pool="workers"}'] || 0) + " of " +
      (samples['hybrid_pool_threads{pool="workers"}'] || 0));
    show("bytes", bytes(samples.hybrid_sent_bytes_total || 0));
    var hits = samples.hybrid_file_cache_hits_total || 0;
    var lookups = hits + (samples.hybrid_file_cache_misses_total || 0);
    show("cache", lookups ? Math.round((100 * hits) / lookups) + " % of " + lookups : "–");
    drawRate();
    drawLatency(latency);
  }

  function poll() {
    var state = document.querySelector("[data-live-state]");
    fetch(path, { cache: "no-store" }).then(function (response) {
      if (!response.ok) {
        throw new Error(response.status === 404 ? "the metrics endpoint is off" :
          "the server said " + response.status);
      }
      return response.text();
    }).then(function (text) {
      update(parse(text));
      if (state) state.textContent = "Live from " + path + ", updated every second.";
      setTimeout(poll, 1000);
    }).catch(function (error) {
      // Stops polling: an endpoint that is off stays off until the server restarts.
      if (state) state.textContent = "No numbers: " + error.message + ".";
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var code = document.querySelector("[data-live-path]");
    if (code) code.textContent = path;
    poll();
  });
})();
