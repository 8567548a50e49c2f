// Keyboard review for the ingest pages: j/k move, a/r accept/reject, e edit, Enter open, u undo, / search.
// Plain JavaScript, no build step. POSTs carry the CSRF token from the page's meta tag.
(function () {
  "use strict";
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const page = document.body.dataset.page;
  const flash = document.getElementById("flash");

  function say(message, isError) {
    flash.textContent = message;
    flash.className = isError ? "error" : "ok";
    flash.hidden = false;
  }

  async function post(url, data) {
    const body = new URLSearchParams(data || {});
    const response = await fetch(url, {
      method: "POST",
      headers: { "X-CSRF-Token": csrf, "X-Requested-With": "fetch" },
      body: body,
      credentials: "same-origin",
    });
    const result = await response.json();
    if (!response.ok) throw new Error(result.error || response.statusText);
    return result;
  }

  // Queue: a selected row that j/k move and a/r decide in place.
  const rows = Array.from(document.querySelectorAll("tr.claim"));
  let selected = 0;
  function select(i) {
    if (!rows.length) return;
    selected = Math.max(0, Math.min(rows.length - 1, i));
    rows.forEach((row, n) => row.classList.toggle("selected", n === selected));
    rows[selected].scrollIntoView({ block: "nearest" });
  }
  async function decideRow(action) {
    const row = rows[selected];
    if (!row) return;
    try {
      const result = await post("/claims/" + row.dataset.id + "/" + action);
      const cell = row.querySelector(".status");
      cell.textContent = result.status;
      cell.className = "status status-" + result.status;
      say("Claim " + row.dataset.id + ": " + result.status + ".", false);
      select(selected + 1);
    } catch (err) {
      say("Claim " + row.dataset.id + ": " + err.message, true);
    }
  }

  function click(selector) {
    const el = document.querySelector(selector);
    if (el) el.click();
  }
  function submit(selector) {
    const form = document.querySelector(selector);
    if (form) form.requestSubmit();
  }

  const keys = {
    queue: {
      j: () => select(selected + 1),
      k: () => select(selected - 1),
      a: () => decideRow("accept"),
      r: () => decideRow("reject"),
      e: () => rows[selected] && (location.href = "/claims/" + rows[selected].dataset.id + "#correct-form"),
      Enter: () => rows[selected] && (location.href = "/claims/" + rows[selected].dataset.id),
    },
    claim: {
      j: () => click("#next"),
      k: () => click("#prev"),
      a: () => submit("#accept-form"),
      r: () => submit("#reject-form"),
      e: () => {
        const field = document.querySelector("#correct-form select, #correct-form input:not([type=hidden])");
        if (field) field.focus();
      },
    },
  };

  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const target = event.target;
    if (target.closest("input, textarea, select")) {
      if (event.key === "Escape") target.blur();
      return;
    }
    if (event.key === "/") {
      const search = document.getElementById("search");
      if (search) { event.preventDefault(); search.focus(); }
      return;
    }
    if (event.key === "u") { submit("#undo-form"); return; }
    const action = (keys[page] || {})[event.key];
    if (action) { event.preventDefault(); action(); }
  });

  if (page === "queue") select(0);
  const quote = document.getElementById("quote");
  if (quote) quote.scrollIntoView({ block: "center" });
})();
