#!/usr/bin/env python3
"""A real browser against real servers: headless Chromium loads pages of the default site (served
by hybridd with --autoindex and --status-path), a directory listing, and a page served by the
example service, over loopback only.

A page fails on any response that is not 200, a subresource whose Content-Type does not match
what it was loaded as (the site sends nosniff, so Chromium refuses a wrong CSS or JS type), any
console error or uncaught exception, or a JavaScript dialog (an escaping bug in a listing would
open one). Screenshots of every page go to --screenshots. Chromium is driven over the DevTools
protocol on a pipe (--remote-debugging-pipe), so nothing but the Python standard library is needed.

Exit status: 0 passed, 1 failed, 77 skipped (no chromium: `apt-get install chromium`).
"""

import argparse
import base64
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

TIMEOUT = 30.0  # seconds for any one step: a start, a page load, a DevTools answer

# What a subresource may be, by the type Chromium loaded it as.
EXPECTED_TYPES = {
    "Document": re.compile(r"^text/html$"),
    "Stylesheet": re.compile(r"^text/css$"),
    "Script": re.compile(r"^(application|text)/javascript$"),
    "Image": re.compile(r"^image/"),
    "Font": re.compile(r"^(font/|application/font)"),
}


def find_chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


class Server:
    """A server binary on an ephemeral loopback port, ended by PID."""

    def __init__(self, argv, cwd=None):
        self.process = subprocess.Popen(argv + ["--port", "0", "--bind", "127.0.0.1"], cwd=cwd,
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        deadline = time.monotonic() + TIMEOUT
        self.url = None
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if not line:
                break
            match = re.search(r"listening on (http://127\.0\.0\.1:\d+)", line)
            if match:
                self.url = match.group(1)
                break
        if not self.url:
            self.stop()
            raise RuntimeError("server did not start: " + " ".join(argv))

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class Chromium:
    """Headless Chromium with the DevTools protocol on fds 3 (its input) and 4 (its output)."""

    def __init__(self, binary, profile):
        to_browser_r, self.to_browser = os.pipe()
        self.from_browser, from_browser_w = os.pipe()

        def wire_pipes():
            # Move both ends above 4 first, so neither dup2 can overwrite the other.
            read_end = os.dup(to_browser_r) if to_browser_r <= 4 else to_browser_r
            write_end = os.dup(from_browser_w) if from_browser_w <= 4 else from_browser_w
            read_end = fcntl_dup_high(read_end)
            write_end = fcntl_dup_high(write_end)
            os.dup2(read_end, 3)
            os.dup2(write_end, 4)

        flags = [
            "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
            "--no-default-browser-check", "--disable-extensions", "--disable-sync",
            "--disable-background-networking", "--disable-component-update",
            "--disable-default-apps", "--disable-domain-reliability",
            "--disable-client-side-phishing-detection", "--metrics-recording-only",
            "--disable-features=OptimizationHints,Translate,MediaRouter",
            # Loopback only: no name resolves, so nothing can leave this machine.
            "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
            "--proxy-server=direct://", "--window-size=1280,900",
            "--user-data-dir=" + profile, "--remote-debugging-pipe", "about:blank",
        ]
        self.process = subprocess.Popen([binary] + flags, preexec_fn=wire_pipes, pass_fds=(3, 4),
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(to_browser_r)
        os.close(from_browser_w)
        self.buffer = b""
        self.next_id = 0
        self.events = []

    def send(self, method, params=None, session=None):
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self.to_browser, json.dumps(message).encode() + b"\0")
        return self.next_id

    def read_message(self, deadline):
        while b"\0" not in self.buffer:
            if time.monotonic() > deadline:
                raise TimeoutError("no answer from chromium")
            import select
            ready, _, _ = select.select([self.from_browser], [], [], 0.2)
            if ready:
                chunk = os.read(self.from_browser, 1 << 20)
                if not chunk:
                    raise RuntimeError("chromium closed its DevTools pipe")
                self.buffer += chunk
        raw, self.buffer = self.buffer.split(b"\0", 1)
        return json.loads(raw)

    def call(self, method, params=None, session=None):
        wanted = self.send(method, params, session)
        deadline = time.monotonic() + TIMEOUT
        while True:
            message = self.read_message(deadline)
            if message.get("id") == wanted:
                if "error" in message:
                    raise RuntimeError(method + ": " + json.dumps(message["error"]))
                return message.get("result", {})
            self.events.append(message)

    def wait_event(self, method, session, deadline):
        while True:
            for i, event in enumerate(self.events):
                if event.get("method") == method and event.get("sessionId") == session:
                    return self.events.pop(i)
            self.events.append(self.read_message(deadline))

    def collect_until(self, deadline):
        while time.monotonic() < deadline:
            try:
                self.events.append(self.read_message(deadline))
            except TimeoutError:
                return

    def close(self):
        try:
            self.send("Browser.close")
            self.process.wait(timeout=10)
        except Exception:
            self.process.kill()
            self.process.wait()
        os.close(self.to_browser)
        os.close(self.from_browser)


def fcntl_dup_high(fd):
    import fcntl
    high = fcntl.fcntl(fd, fcntl.F_DUPFD, 10)
    os.set_inheritable(high, True)
    return high


def check_page(browser, url, name, screenshots, settle, probe=None):
    """Loads `url`, returns a list of problems (empty: the page passed)."""
    target = browser.call("Target.createTarget", {"url": "about:blank"})["targetId"]
    session = browser.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
    for domain in ("Page", "Network", "Runtime", "Log"):
        browser.call(domain + ".enable", session=session)
    browser.events.clear()
    browser.call("Page.navigate", {"url": url}, session=session)
    browser.wait_event("Page.loadEventFired", session, time.monotonic() + TIMEOUT)
    browser.collect_until(time.monotonic() + settle)

    problems = []
    requests = {}
    seen = 0
    for event in browser.events:
        if event.get("sessionId") != session:
            continue
        method, params = event.get("method"), event.get("params", {})
        if method == "Network.requestWillBeSent":
            requests[params["requestId"]] = params["request"]["url"]
        elif method == "Network.responseReceived":
            seen += 1
            response = params["response"]
            kind = params.get("type", "Other")
            if response["status"] != 200:
                problems.append("%s: %d for %s" % (kind, response["status"], response["url"]))
            expected = EXPECTED_TYPES.get(kind)
            if expected and not expected.match(response.get("mimeType", "")):
                problems.append("%s %s came as %r" % (kind, response["url"], response.get("mimeType")))
        elif method == "Network.loadingFailed":
            if not params.get("canceled"):
                problems.append("failed to load %s: %s %s" % (
                    requests.get(params["requestId"], "?"), params.get("errorText", ""),
                    params.get("blockedReason", "")))
        elif method == "Runtime.exceptionThrown":
            details = params["exceptionDetails"]
            problems.append("uncaught exception: " +
                            details.get("exception", {}).get("description", details.get("text", "")))
        elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            problems.append("console.%s: %s" % (params["type"], " ".join(
                str(arg.get("value", arg.get("description", ""))) for arg in params.get("args", []))))
        elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
            problems.append("console error: " + params["entry"].get("text", ""))
        elif method == "Page.javascriptDialogOpening":
            problems.append("a JavaScript dialog opened: " + params.get("message", ""))
            browser.call("Page.handleJavaScriptDialog", {"accept": True}, session=session)
    if seen == 0:
        problems.append("no response at all")

    if probe:
        expression, check, description = probe
        value = browser.call("Runtime.evaluate", {"expression": expression, "returnByValue": True},
                             session=session).get("result", {}).get("value")
        if not check(value):
            problems.append("%s: got %r" % (description, value))

    shot = browser.call("Page.captureScreenshot", {"format": "png"}, session=session)
    with open(os.path.join(screenshots, name + ".png"), "wb") as out:
        out.write(base64.b64decode(shot["data"]))
    browser.call("Target.closeTarget", {"targetId": target})
    browser.events = [e for e in browser.events if e.get("sessionId") != session]
    return problems


def number_at_least(minimum):
    def check(value):
        try:
            return int(str(value).strip()) >= minimum
        except ValueError:
            return False
    return check


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hybridd", required=True)
    parser.add_argument("--service", required=True)
    parser.add_argument("--site", required=True, help="the default site (html/)")
    parser.add_argument("--screenshots", required=True)
    args = parser.parse_args()

    chromium = find_chromium()
    if not chromium:
        print("SKIP: chromium is not installed (apt-get install chromium); the browser test did "
              "not run")
        return 77
    os.makedirs(args.screenshots, exist_ok=True)

    work = tempfile.mkdtemp(prefix="hybrid-browser-")
    servers = []
    browser = None
    try:
        # A directory whose names would run script if a listing did not escape them.
        listed = os.path.join(work, "listed")
        os.makedirs(os.path.join(listed, "sub dir"))
        for name in ("<img src=x onerror=alert(1)>.txt", "a&b \"c\".txt", "café.txt", "plain.txt"):
            with open(os.path.join(listed, name), "w") as out:
                out.write("listed file\n")

        site = Server([args.hybridd, "--root", args.site, "--autoindex", "--status-path",
                       "/metrics", "--threads", "2"])
        servers.append(site)
        listing = Server([args.hybridd, "--root", listed, "--autoindex"])
        servers.append(listing)
        service = Server([args.service, "--root", args.site])
        servers.append(service)

        browser = Chromium(chromium, os.path.join(work, "profile"))
        version = browser.call("Browser.getVersion").get("product", "?")
        pages = [
            (site.url + "/", "site-index", 0.5, None),
            (site.url + "/architecture.html", "site-architecture", 0.5, None),
            (site.url + "/images/", "site-listing", 0.3,
             ("[...document.querySelectorAll('a')].map(a => a.textContent).join(' ')",
              lambda text: text is not None and "logo.svg" in text and "logo.png" in text,
              "the listing of /images/ names logo.svg and logo.png")),
            (listing.url + "/", "listing-escaped-names", 0.3,
             ("[...document.querySelectorAll('a')].map(a => a.textContent)",
              lambda names: names is not None and "<img src=x onerror=alert(1)>.txt" in names
              and "a&b \"c\".txt" in names and "café.txt" in names and "sub dir/" in names,
              "the listing shows every name as text")),
            (site.url + "/live.html", "site-live", 2.5,
             ("document.querySelector('[data-metric=requests]').textContent",
              number_at_least(3), "the live page shows the server's request count")),
            (service.url + "/app", "service-app", 1.0,
             ("document.querySelector('[data-api=hello]').textContent",
              lambda text: text == '{"hello":"world"}', "the service page shows /api/hello")),
        ]
        failed = 0
        print("browser: %s" % version)
        for url, name, settle, probe in pages:
            problems = check_page(browser, url, name, args.screenshots, settle, probe)
            status = "ok" if not problems else "FAILED"
            print("%-26s %-6s %s" % (name, status, url))
            for problem in problems:
                print("    " + problem)
            failed += bool(problems)
        print("screenshots: " + args.screenshots)
        print("%d of %d pages passed" % (len(pages) - failed, len(pages)))
        return 1 if failed else 0
    finally:
        if browser:
            browser.close()
        for server in servers:
            server.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
