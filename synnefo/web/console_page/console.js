// The web console: noVNC (served under ./novnc/) connects to the WebSocket URL given in the
// fragment and authenticates with the one-time password given there. The fragment never
// reaches a server log; it is removed from the address bar once read.
import RFB from "../novnc/core/rfb.js";

const USED = "Console unavailable: this link was already used or has expired. " +
             "Ask for a new console URL.";
const status = document.getElementById("status");

function say(text, state) {
    status.textContent = text;
    document.body.dataset.state = state;
}

function open(url, password) {
    const rfb = new RFB(document.getElementById("screen"), url, {credentials: {password}});
    let connected = false;
    rfb.addEventListener("connect", () => { connected = true; say("Connected", "connected"); });
    rfb.addEventListener("securityfailure", (event) => {
        say(`Console refused: ${event.detail.reason || "authentication failed"}. ` +
            "Ask for a new console URL.", "failed");
    });
    rfb.addEventListener("disconnect", () => {
        if (document.body.dataset.state === "failed") return;
        say(connected ? "Disconnected: ask for a new console URL to reconnect." : USED,
            connected ? "disconnected" : "failed");
    });
}

const params = new URLSearchParams(window.location.hash.slice(1));
const url = params.get("url"), password = params.get("password");
history.replaceState(null, "", window.location.pathname);
if (!url || !password || !/^wss?:\/\//.test(url)) {
    say("This console link is incomplete. Ask for a new console URL.", "failed");
} else {
    say("Connecting…", "connecting");
    open(url, password);
}
