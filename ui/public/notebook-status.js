// Fills in the status page from its query: ?state=ended|reconnecting&session=<name>.
const q = new URLSearchParams(location.search);
const session = q.get("session") || "the session";
const title = document.getElementById("title");
const detail = document.getElementById("detail");
if (q.get("state") === "ended") {
  document.title = `${session} ended`;
  title.textContent = `${session} has ended`;
  detail.textContent =
    "The session is no longer running, so this notebook is closed. Start a new one from the launcher or the tray; you can close this window.";
} else {
  document.title = `Reconnecting to ${session}`;
  title.textContent = `Reconnecting to ${session}…`;
  detail.textContent = "The connection to the notebook was lost. The launcher is opening it again.";
}
