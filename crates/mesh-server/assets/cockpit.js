// Atomic Mesh cockpit: live updates. The page is complete without this script; the script
// refreshes <main> from /cockpit/main whenever the server's change feed (/api/events) reports a
// change. A token, when the server needs one, is kept in this closure only (never stored).
(function () {
  "use strict";
  var token = null;
  var main = document.getElementById("main");
  var live = document.getElementById("live");
  var refreshing = false;
  var again = false;

  function headers() {
    return token ? { Authorization: "Bearer " + token } : {};
  }

  function say(text, state) {
    if (live) {
      live.textContent = text;
      live.dataset.state = state;
    }
  }

  async function refresh() {
    if (refreshing) {
      again = true;
      return;
    }
    refreshing = true;
    try {
      do {
        again = false;
        var r = await fetch("/cockpit/main", { headers: headers(), cache: "no-store" });
        if (r.ok) {
          main.innerHTML = await r.text();
          document.body.dataset.refreshed = String(Date.now());
        } else if (r.status === 401 || r.status === 403) {
          say("the token was refused", "error");
          return;
        }
      } while (again);
    } finally {
      refreshing = false;
    }
  }

  async function listen() {
    for (;;) {
      try {
        var r = await fetch("/api/events", { headers: headers(), cache: "no-store" });
        if (!r.ok || !r.body) {
          say("live updates unavailable (" + r.status + ")", "error");
          if (r.status === 401 || r.status === 403) return;
        } else {
          var reader = r.body.getReader();
          var decoder = new TextDecoder();
          var buf = "";
          for (;;) {
            var chunk = await reader.read();
            if (chunk.done) break;
            buf += decoder.decode(chunk.value, { stream: true });
            var at;
            while ((at = buf.indexOf("\n\n")) >= 0) {
              var message = buf.slice(0, at);
              buf = buf.slice(at + 2);
              if (/^event: ready$/m.test(message)) {
                say("live", "live");
                document.body.dataset.live = "on";
              } else if (/^event: change$/m.test(message)) {
                refresh();
              }
            }
          }
        }
      } catch (e) {
        // fall through to the retry below
      }
      document.body.dataset.live = "off";
      say("reconnecting…", "retry");
      await new Promise(function (resolve) { setTimeout(resolve, 1000); });
    }
  }

  var form = document.getElementById("token-form");
  if (form) {
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var input = document.getElementById("token");
      token = input.value.trim();
      input.value = "";
      refresh().then(listen);
    });
    say("waiting for a token", "idle");
  } else {
    listen();
  }
})();
