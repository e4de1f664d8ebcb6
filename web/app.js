/* Unknot web chat: talks to Rasa's socket.io channel on the same origin.
 *
 * No framework, no build step. Every text from the server is put into the page as
 * text nodes (never innerHTML); **bold** and line breaks are the only formatting.
 */
(function () {
  "use strict";

  var KEY_SESSION = "unknot.session";
  var KEY_USER = "unknot.user";
  var KEY_HISTORY = "unknot.history";
  var MAX_EVENTS = 400;
  var TYPING_TIMEOUT_MS = 30000;
  var CONFIRM_RETRY_MS = 4000;
  // The emergency numbers come from the content (/webchat/facts.json, the same text the
  // replies use); these are only shown if that cannot be fetched.
  var NUMBERS = ["999", "112", "911"];
  var NUMBERS_TEXT = "999 in the UK, 112 in the EU, 911 in the US, or your local emergency number";

  var REGIONS = {
    neck: "Neck", upper_back: "Upper back", lower_back: "Lower back", shoulders: "Shoulders",
    chest: "Chest", arms: "Arms", glutes: "Glutes and hips", hamstrings: "Hamstrings",
    quads: "Quads", calves: "Calves", shins: "Shins", feet: "Feet"
  };
  var EQUIPMENT = {
    massage_ball: "Massage ball", foam_roller: "Foam roller", massage_gun: "Massage gun", hands: "Your hands"
  };
  var TRIAGE = {
    emergency_now: { title: "This needs emergency help now", label: "Emergency" },
    urgent_24h: { title: "See a doctor or urgent care today", label: "Urgent" },
    soon: { title: "Book a doctor or physiotherapist within a few days", label: "See a professional soon" }
  };

  // ------------------------------------------------------------------ elements
  var $ = function (id) { return document.getElementById(id); };
  var log = $("log");
  var chat = $("chat");
  var typing = $("typing");
  var form = $("composer");
  var input = $("message");
  var sendButton = $("send");
  var connection = $("connection");
  var connectionText = $("connection-text");
  var newChatButton = $("new-chat");
  var handsFree = $("hands-free");
  var progressButton = $("show-progress");
  var KEY_HANDS_FREE = "unknot.handsFree";

  // ------------------------------------------------------------------ state
  var state = {
    sessionId: null,
    events: [],
    ready: false,          // connected and the session is confirmed
    everReady: false,
    wasOffline: false,
    replaying: false,
    activeChoices: null,   // the <li> of the only choice group that can still be answered
    routines: {},          // routine id -> {card, title, steps, finished}
    currentRoutine: null,
    currentStep: null,     // {card, timer}
    typingTimer: null,
    pinned: null,          // the <li> of an emergency banner to keep in view
    confirmTimer: null,
    statusTimer: null,
    beeps: 0
  };

  // ------------------------------------------------------------------ storage
  function storageGet(key) {
    try { return window.localStorage.getItem(key); } catch (e) { return null; }
  }
  function storageSet(key, value) {
    try { window.localStorage.setItem(key, value); } catch (e) { /* private mode or full: keep going */ }
  }
  function storageRemove(key) {
    try { window.localStorage.removeItem(key); } catch (e) { /* ignore */ }
  }

  function newSessionId() {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  // A stable id of this browser's user, apart from the conversation id: the assistant keeps
  // an emergency warning in force for the same user across new conversations (and, later,
  // progress over weeks). "New conversation" keeps it; erasing one's data replaces it.
  function loadUserId() {
    var id = storageGet(KEY_USER);
    if (!id || !/^[A-Za-z0-9_-]{16,64}$/.test(id)) {
      id = "u_" + newSessionId();
      storageSet(KEY_USER, id);
    }
    return id;
  }

  function loadSession() {
    var id = storageGet(KEY_SESSION);
    if (!id || !/^[A-Za-z0-9_-]{8,64}$/.test(id)) {
      id = newSessionId();
      storageSet(KEY_SESSION, id);
    }
    state.sessionId = id;
    var events = [];
    try {
      var saved = JSON.parse(storageGet(KEY_HISTORY) || "null");
      if (saved && saved.session === id && Array.isArray(saved.events)) events = saved.events;
    } catch (e) { events = []; }
    return events;
  }

  function record(event) {
    state.events.push(event);
    if (state.events.length > MAX_EVENTS) state.events = state.events.slice(-MAX_EVENTS);
    storageSet(KEY_HISTORY, JSON.stringify({ session: state.sessionId, events: state.events }));
  }

  // ------------------------------------------------------------------ small DOM helpers
  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function hidden(text) { return el("span", "visually-hidden", text); }

  // "Pressure: ...", "Avoid: ...", "Step 2 of 5 (45 seconds): ..." at the start of a line
  var LINE_LABEL = /^(Step \d+ of \d+(?: \([^)]{0,40}\))?|Pressure|Avoid|How often|Evidence|Tip|Note):\s/;

  /** Server text as DOM: text nodes, <strong> for **bold** and line labels, <br> for new lines. */
  function richText(parent, text) {
    var lines = String(text).split("\n");
    lines.forEach(function (line, i) {
      if (i > 0) parent.appendChild(document.createElement("br"));
      var label = line.indexOf("**") === -1 ? LINE_LABEL.exec(line) : null;
      if (label) {
        parent.appendChild(el("strong", "line-label", label[1] + ":"));
        line = line.slice(label[1].length + 1);
      }
      var parts = line.split(/\*\*(.+?)\*\*/);
      parts.forEach(function (part, j) {
        if (!part) return;
        if (j % 2 === 1) parent.appendChild(el("strong", null, part));
        else parent.appendChild(document.createTextNode(part));
      });
    });
    return parent;
  }

  function niceName(map, id) {
    if (!id) return "";
    if (map[id]) return map[id];
    var words = String(id).replace(/_/g, " ");
    return words.charAt(0).toUpperCase() + words.slice(1);
  }

  function clock(seconds) {
    seconds = Math.max(0, Math.ceil(seconds));
    var m = Math.floor(seconds / 60);
    var s = seconds % 60;
    return m + ":" + (s < 10 ? "0" : "") + s;
  }

  function scrollToEnd() {
    if (state.replaying) return;
    var target = chat.scrollHeight - chat.clientHeight;
    // An emergency banner stays in view even when more messages follow it.
    if (state.pinned && state.pinned.parentNode === log) target = Math.min(target, state.pinned.offsetTop - 8);
    chat.scrollTop = target;
  }

  /** After a card grew: keep the end of the log in view if the reader was near it. */
  function keepInView(node) {
    if (state.replaying) return;
    var nearEnd = chat.scrollHeight - chat.scrollTop - chat.clientHeight < node.offsetHeight + 160;
    if (nearEnd) chat.scrollTop = chat.scrollHeight;
  }

  function addItem(className, content, before) {
    var item = el("li", "item " + className);
    if (content) item.appendChild(content);
    if (before && before.parentNode === log) log.insertBefore(item, before);
    else log.appendChild(item);
    scrollToEnd();
    return item;
  }

  // ------------------------------------------------------------------ messages
  function renderIntro() {
    var bubble = el("div", "bubble bot");
    bubble.appendChild(hidden("Unknot said: "));
    richText(bubble, "Hi, I'm **Unknot**. Tell me where you're sore, what training you did, and what you " +
      "have to hand (a massage ball, a foam roller, a massage gun or just your hands).\n" +
      "I'll suggest a short self-massage routine and take you through it step by step.\n" +
      "For example: \u201cmy calves are tight after a run and I have a massage ball\u201d.");
    addItem("from-bot intro", bubble);
  }

  function renderUser(event) {
    var bubble = el("div", "bubble user");
    bubble.appendChild(hidden("You said: "));
    bubble.appendChild(document.createTextNode(event.text));
    closeChoices(event.payload || null);
    state.pinned = null;
    addItem("from-user", bubble);
  }

  function renderBotText(text) {
    var bubble = el("div", "bubble bot");
    bubble.appendChild(hidden("Unknot said: "));
    richText(bubble, text);
    addItem("from-bot", bubble);
  }

  function renderChoices(replies) {
    closeChoices(null);
    var group = el("div", "choices");
    group.setAttribute("role", "group");
    group.setAttribute("aria-label", "Reply options");
    replies.forEach(function (reply) {
      var title = reply.title || reply.payload;
      var button = el("button", "choice", title);
      button.type = "button";
      button.dataset.payload = reply.payload || title;
      button.disabled = !state.ready && !state.replaying;
      button.addEventListener("click", function () {
        if (!state.ready) return;
        sendMessage(button.dataset.payload, title);
        input.focus();
      });
      group.appendChild(button);
    });
    state.activeChoices = addItem("choices-item", group);
  }

  /** The open choices can no longer be used; mark the one that was picked. */
  function closeChoices(payload) {
    var item = state.activeChoices;
    if (!item) return;
    state.activeChoices = null;
    var picked = false;
    item.classList.add("answered");
    Array.prototype.forEach.call(item.querySelectorAll("button"), function (button) {
      button.disabled = true;
      if (!picked && payload !== null && button.dataset.payload === payload) {
        picked = true;
        button.classList.add("chosen");
        button.appendChild(hidden(" (your answer)"));
      }
    });
    if (!picked) item.classList.add("expired");
  }

  function setChoicesEnabled(enabled) {
    if (!state.activeChoices) return;
    Array.prototype.forEach.call(state.activeChoices.querySelectorAll("button"), function (button) {
      button.disabled = !enabled;
    });
  }

  // ------------------------------------------------------------------ routine card
  function renderRoutine(data) {
    var card = el("article", "card routine-card");
    card.setAttribute("aria-label", "Routine: " + (data.title || "self-massage"));
    card.dataset.routine = data.id || "";
    card.appendChild(el("p", "kicker", "Your routine"));
    card.appendChild(el("h3", "card-title", data.title || "Self-massage routine"));
    var facts = el("dl", "facts");
    [["Area", niceName(REGIONS, data.region)], ["Equipment", niceName(EQUIPMENT, data.equipment)],
      ["Steps", data.steps]].forEach(function (pair) {
      if (pair[1] === undefined || pair[1] === null || pair[1] === "") return;
      var row = el("div", "fact");
      row.appendChild(el("dt", null, pair[0]));
      row.appendChild(el("dd", null, pair[1]));
      facts.appendChild(row);
    });
    card.appendChild(facts);
    var status = el("p", "routine-progress-label", "Starting…");
    var bar = el("progress", "routine-progress");
    bar.max = Math.max(1, Number(data.steps) || 1);
    bar.value = 0;
    bar.setAttribute("aria-label", "Routine progress");
    card.appendChild(status);
    card.appendChild(bar);
    var routine = { card: card, title: data.title || "", steps: Number(data.steps) || 0, status: status,
      bar: bar, finished: false };
    state.routines[data.id] = routine;
    state.currentRoutine = routine;
    addItem("card-item", card);
  }

  function updateRoutine(routine, index, total) {
    if (!routine || routine.finished) return;
    routine.steps = total || routine.steps;
    routine.bar.max = Math.max(1, routine.steps);
    routine.bar.value = Math.max(0, index - 1);
    routine.status.textContent = "Step " + index + " of " + routine.steps;
    routine.card.dataset.step = String(index);
  }

  function endRoutine(routine, how) {
    if (!routine || routine.finished) return;
    routine.finished = true;
    routine.card.classList.add(how === "done" ? "finished" : "stopped");
    if (how === "done") {
      routine.bar.value = routine.bar.max;
      routine.status.textContent = "Finished: all " + routine.steps + " steps done";
    } else {
      routine.status.textContent = "Stopped";
    }
    if (state.currentRoutine === routine) state.currentRoutine = null;
  }

  // ------------------------------------------------------------------ step card with a timer
  function retireStep() {
    if (!state.currentStep) return;
    var step = state.currentStep;
    state.currentStep = null;
    if (step.timer) step.timer.retire();
    step.card.classList.add("past");
  }

  function renderStep(data) {
    var routine = state.routines[data.routine] || state.currentRoutine;
    var index = Number(data.index) || 1;
    var total = Number(data.total) || (routine ? routine.steps : 0);
    updateRoutine(routine, index, total);
    retireStep();

    var card = el("section", "card step-card");
    var heading = el("h3", "step-title", "Step " + index + " of " + total);
    heading.id = "step-" + Date.now().toString(36) + Math.random().toString(36).slice(2, 6);
    card.setAttribute("aria-labelledby", heading.id);
    card.dataset.index = String(index);
    var head = el("div", "step-head");
    head.appendChild(heading);
    if (routine && routine.title) head.appendChild(el("span", "step-routine", routine.title));
    card.appendChild(head);
    var dots = el("div", "step-dots");
    dots.setAttribute("aria-hidden", "true");
    for (var i = 1; i <= Math.min(total, 20); i++) {
      dots.appendChild(el("span", i < index ? "dot-done" : i === index ? "dot-now" : ""));
    }
    card.appendChild(dots);

    var seconds = Number(data.seconds);
    var timer = null;
    if (seconds > 0) timer = makeTimer(card, seconds, index);
    else card.appendChild(el("p", "no-timer", "No timer for this step: follow the reps or go by feel."));

    // The step text and its buttons come just before this event: keep the buttons last.
    var before = state.activeChoices && state.activeChoices === log.lastElementChild ? state.activeChoices : null;
    addItem("card-item", card, before);
    state.currentStep = { card: card, timer: timer };
  }

  var audio = null;
  function ensureAudio() {
    try {
      var Context = window.AudioContext || window.webkitAudioContext;
      if (!audio && Context) audio = new Context();
      if (audio && audio.state === "suspended") audio.resume();
    } catch (e) { audio = null; }
  }

  /** A short, soft two-tone chime made with WebAudio: no audio file. */
  function chime() {
    state.beeps += 1;
    if (!audio) return;
    try {
      var now = audio.currentTime;
      [[0, 660], [0.28, 880]].forEach(function (tone) {
        var osc = audio.createOscillator();
        var gain = audio.createGain();
        osc.type = "sine";
        osc.frequency.value = tone[1];
        gain.gain.setValueAtTime(0.0001, now + tone[0]);
        gain.gain.exponentialRampToValueAtTime(0.18, now + tone[0] + 0.02);
        gain.gain.exponentialRampToValueAtTime(0.0001, now + tone[0] + 0.35);
        osc.connect(gain);
        gain.connect(audio.destination);
        osc.start(now + tone[0]);
        osc.stop(now + tone[0] + 0.4);
      });
    } catch (e) { /* sound is a bonus */ }
  }

  function makeTimer(card, seconds, index) {
    var total = seconds * 1000;
    var remaining = total;
    var deadline = 0;
    var ticker = null;
    var finished = false;

    var box = el("div", "timer");
    var value = el("p", "timer-value", clock(seconds));
    value.setAttribute("role", "timer");
    value.setAttribute("aria-live", "off");
    value.setAttribute("aria-label", "Time left");
    var track = el("div", "timer-track");
    track.setAttribute("aria-hidden", "true");
    var fill = el("span", "timer-fill");
    track.appendChild(fill);
    var controls = el("div", "timer-controls");
    var toggle = el("button", "timer-toggle", "Start");
    toggle.type = "button";
    toggle.setAttribute("aria-label", "Start the " + seconds + "-second timer for step " + index);
    var reset = el("button", "timer-reset ghost", "Reset");
    reset.type = "button";
    reset.setAttribute("aria-label", "Reset the timer for step " + index);
    reset.disabled = true;
    controls.appendChild(toggle);
    controls.appendChild(reset);
    var message = el("p", "timer-message");
    message.setAttribute("aria-live", "polite");
    box.appendChild(value);
    box.appendChild(track);
    box.appendChild(controls);
    box.appendChild(message);
    card.appendChild(box);
    card.dataset.timer = "ready";

    function draw() {
      value.textContent = clock(remaining / 1000);
      fill.style.transform = "scaleX(" + Math.max(0, Math.min(1, remaining / total)).toFixed(4) + ")";
    }

    function tick() {
      remaining = Math.max(0, deadline - Date.now());
      draw();
      if (remaining <= 0) finish();
    }

    function label(text, aria) {
      toggle.textContent = text;
      toggle.setAttribute("aria-label", aria + " the timer for step " + index);
    }

    function start() {
      ensureAudio();
      if (finished) { finished = false; remaining = total; card.classList.remove("timer-done"); message.textContent = ""; }
      deadline = Date.now() + remaining;
      clearInterval(ticker);
      ticker = setInterval(tick, 200);
      card.dataset.timer = "running";
      card.classList.add("timer-running");
      label("Pause", "Pause");
      reset.disabled = false;
      draw();
    }

    function pause() {
      clearInterval(ticker);
      ticker = null;
      remaining = Math.max(0, deadline - Date.now());
      card.dataset.timer = "paused";
      card.classList.remove("timer-running");
      label("Resume", "Resume");
      draw();
    }

    function finish() {
      clearInterval(ticker);
      ticker = null;
      finished = true;
      remaining = 0;
      draw();
      card.dataset.timer = "done";
      card.classList.remove("timer-running");
      card.classList.add("timer-done");
      message.textContent = handsFree && handsFree.checked
        ? "Time's up. Moving on to the next step."
        : "Time's up. Take a breath, then tap Done, next when you're ready.";
      if (handsFree && handsFree.checked && !state.replaying) {
        // Hands-free: the next step follows when a timed step's countdown ends.
        setTimeout(function () { sendMessage("/step_next", "Done, next"); }, 1500);
      }
      label("Start again", "Restart");
      chime();
      keepInView(card);
      if (navigator.vibrate) { try { navigator.vibrate([120, 80, 120]); } catch (e) { /* ignore */ } }
    }

    function resetTimer() {
      clearInterval(ticker);
      ticker = null;
      finished = false;
      remaining = total;
      card.dataset.timer = "ready";
      card.classList.remove("timer-running", "timer-done");
      message.textContent = "";
      label("Start", "Start");
      reset.disabled = true;
      draw();
    }

    toggle.addEventListener("click", function () {
      if (ticker) pause(); else start();
    });
    reset.addEventListener("click", resetTimer);
    draw();

    return {
      retire: function () {
        clearInterval(ticker);
        ticker = null;
        toggle.disabled = true;
        reset.disabled = true;
        card.classList.remove("timer-running");
        if (card.dataset.timer !== "done") card.dataset.timer = "stopped";
      }
    };
  }

  // ------------------------------------------------------------------ finished card
  function renderDone(data) {
    var routine = state.routines[data.routine] || state.currentRoutine;
    retireStep();
    endRoutine(routine, "done");
    var card = el("article", "card done-card");
    card.setAttribute("aria-label", "Routine finished");
    card.appendChild(el("p", "kicker", "Routine finished"));
    card.appendChild(el("h3", "card-title", "Nice work!"));
    var text = routine && routine.title
      ? "You finished all " + routine.steps + " steps of " + routine.title + "."
      : "You finished the routine.";
    card.appendChild(el("p", null, text));
    card.appendChild(el("p", "muted", "Tell me if anything felt wrong, such as sharp pain, numbness or swelling."));
    addItem("card-item", card);
  }

  // ------------------------------------------------------------------ triage banner
  function callLinks(parent) {
    NUMBERS.forEach(function (number, i) {
      if (i > 0) parent.appendChild(document.createTextNode(" / "));
      var link = el("a", "call-number", number);
      link.href = "tel:" + number;
      parent.appendChild(link);
    });
  }

  function renderTriage(data) {
    var level = TRIAGE[data.level] ? data.level : "soon";
    var info = TRIAGE[level];
    if (state.currentStep) retireStep();
    if (state.currentRoutine) endRoutine(state.currentRoutine, "stopped");
    var banner = el("section", "triage triage-" + level);
    banner.dataset.level = level;
    if (level === "emergency_now") {
      if (!state.replaying) banner.setAttribute("role", "alert");
      var call = el("p", "triage-call");
      call.appendChild(document.createTextNode("Call "));
      callLinks(call);
      call.appendChild(document.createTextNode(" now"));
      banner.appendChild(call);
    }
    var title = el("h3", "triage-title");
    title.appendChild(el("span", "triage-label", info.label + ": "));
    title.appendChild(document.createTextNode(info.title));
    banner.appendChild(title);
    if (data.advice) banner.appendChild(richText(el("p", "triage-advice"), data.advice));
    if (level === "emergency_now") {
      banner.appendChild(el("p", "triage-note", NUMBERS_TEXT + "."));
    } else {
      var note = el("p", "triage-note");
      note.appendChild(document.createTextNode("If it suddenly gets worse, call "));
      callLinks(note);
      note.appendChild(document.createTextNode("."));
      banner.appendChild(note);
    }
    addItem("triage-item", banner);
    if (!state.replaying && level === "emergency_now") {
      state.pinned = banner.parentNode;
      scrollToEnd();
    }
  }

  // ------------------------------------------------------------------ bot messages
  // ------------------------------------------------------------------ progress, summary, erasure
  var SVG = "http://www.w3.org/2000/svg";
  function svg(tag, attrs) {
    var node = document.createElementNS(SVG, tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, String(attrs[k])); });
    return node;
  }

  // A chart of pain before and after each session (oldest left), with the same numbers as a
  // table for screen readers and anyone who prefers text.
  function renderProgress(data) {
    var entries = Array.isArray(data.entries) ? data.entries.slice().reverse() : [];
    var card = el("section", "progress-card");
    card.setAttribute("aria-label", "Your progress");
    card.appendChild(el("h3", "progress-title", "Pain before and after each session (0-10)"));
    if (!entries.length) {
      card.appendChild(el("p", "progress-empty", "No sessions yet."));
      addItem("progress-item", card);
      return;
    }
    var width = 320, height = 160, left = 26, bottom = 24, top = 8;
    var step = entries.length > 1 ? (width - left - 10) / (entries.length - 1) : 0;
    var chart = svg("svg", { viewBox: "0 0 " + width + " " + height, class: "progress-chart", role: "img",
                             "aria-hidden": "true", focusable: "false" });
    function y(v) { return top + (height - top - bottom) * (1 - v / 10); }
    [0, 5, 10].forEach(function (v) {
      chart.appendChild(svg("line", { x1: left, x2: width - 4, y1: y(v), y2: y(v), class: "grid" }));
      var label = svg("text", { x: 2, y: y(v) + 4, class: "axis" });
      label.textContent = String(v);
      chart.appendChild(label);
    });
    ["before", "after"].forEach(function (key) {
      var points = [];
      entries.forEach(function (e, i) {
        if (typeof e[key] === "number") points.push([left + 6 + i * step, y(e[key])]);
      });
      if (points.length > 1) {
        chart.appendChild(svg("polyline", { points: points.map(function (p) { return p.join(","); }).join(" "),
                                            class: "line " + key }));
      }
      points.forEach(function (p) { chart.appendChild(svg("circle", { cx: p[0], cy: p[1], r: 3.5, class: "dot " + key })); });
    });
    card.appendChild(chart);
    var legend = el("p", "progress-legend");
    legend.appendChild(el("span", "key before", "before"));
    legend.appendChild(document.createTextNode(" "));
    legend.appendChild(el("span", "key after", "after"));
    card.appendChild(legend);
    var table = el("table", "progress-table");
    var caption = el("caption", null, "Your sessions, newest first");
    table.appendChild(caption);
    var head = el("tr");
    ["Date", "Area", "Before", "After"].forEach(function (h) { head.appendChild(el("th", null, h)); });
    table.appendChild(head);
    data.entries.forEach(function (e) {
      var row = el("tr");
      [e.date, String(e.region || "").replace(/_/g, " "),
       e.before === null || e.before === undefined ? "–" : String(e.before),
       e.after === null || e.after === undefined ? "–" : String(e.after)].forEach(function (v) {
        row.appendChild(el("td", null, v));
      });
      table.appendChild(row);
    });
    card.appendChild(table);
    addItem("progress-item", card);
  }

  function renderSummary(data) {
    var card = el("section", "summary-card");
    card.appendChild(el("h3", null, "Summary for your clinician"));
    [["html", "Open the printable page"], ["pdf", "Download the PDF"], ["fhir", "FHIR record (for clinic systems)"]]
      .forEach(function (pair) {
        var href = data[pair[0]];
        if (typeof href !== "string" || href.indexOf("/webchat/summary/") !== 0) return;
        var a = el("a", "summary-link", pair[1]);
        a.href = href;
        a.target = "_blank";
        a.rel = "noopener";
        card.appendChild(a);
      });
    addItem("summary-item", card);
  }

  // "Delete my data" was confirmed: the page forgets everything too, and this browser gets a
  // new user id and a new conversation.
  function renderErased() {
    storageRemove(KEY_HISTORY);
    storageRemove(KEY_USER);
    storageRemove(KEY_SESSION);
    state.events = [];
    setTimeout(function () { newChatButton.click(); }, 3000);
  }

  function renderBot(data) {
    if (!data || typeof data !== "object") return;
    var custom = data.custom;
    if (custom && typeof custom === "object") {
      if (custom.type === "routine") renderRoutine(custom);
      else if (custom.type === "step") renderStep(custom);
      else if (custom.type === "routine_done") renderDone(custom);
      else if (custom.type === "triage") renderTriage(custom);
      else if (custom.type === "progress") renderProgress(custom);
      else if (custom.type === "summary") renderSummary(custom);
      else if (custom.type === "erased") renderErased(custom);
      if (typeof custom.text === "string" && custom.text) renderBotText(custom.text);
      return;
    }
    if (typeof data.text === "string" && data.text.trim()) renderBotText(data.text);
    var replies = Array.isArray(data.quick_replies) ? data.quick_replies
      : Array.isArray(data.buttons) ? data.buttons : [];
    replies = replies.filter(function (r) { return r && (r.title || r.payload); });
    if (replies.length) renderChoices(replies);
  }

  // ------------------------------------------------------------------ typing indicator
  function showTyping() {
    typing.hidden = false;
    clearTimeout(state.typingTimer);
    state.typingTimer = setTimeout(hideTyping, TYPING_TIMEOUT_MS);
    scrollToEnd();
  }

  function hideTyping() {
    clearTimeout(state.typingTimer);
    state.typingTimer = null;
    typing.hidden = true;
  }

  // ------------------------------------------------------------------ connection state
  function setConnection(mode) {
    var ready = mode === "online";
    state.ready = ready;
    connection.dataset.state = mode;
    clearTimeout(state.statusTimer);
    if (mode === "online") {
      connectionText.textContent = state.wasOffline
        ? "Back online. Your conversation is still here."
        : "Connected";
      if (state.wasOffline) {
        state.statusTimer = setTimeout(function () {
          if (state.ready) connectionText.textContent = "Connected";
        }, 8000);
      }
      state.wasOffline = false;
      state.everReady = true;
    } else if (mode === "offline") {
      state.wasOffline = true;
      connectionText.textContent = "Can't reach Unknot right now, retrying…";
      hideTyping();
    } else {
      connectionText.textContent = state.wasOffline ? "Can't reach Unknot right now, retrying…" : "Connecting to Unknot…";
    }
    sendButton.disabled = !ready;
    form.setAttribute("aria-disabled", ready ? "false" : "true");
    setChoicesEnabled(ready);
  }

  // ------------------------------------------------------------------ sending
  function sendMessage(text, title) {
    text = String(text || "").trim();
    if (!text || !state.ready || !socket) return false;
    var event = { t: "user", text: title || text };
    if (title) event.payload = text;
    record(event);
    renderUser(event);
    socket.emit("user_uttered", { message: text, session_id: state.sessionId,
                                  metadata: { user_id: loadUserId() } });
    showTyping();
    return true;
  }

  form.addEventListener("submit", function (e) {
    e.preventDefault();
    if (!state.ready) return;
    if (sendMessage(input.value)) input.value = "";
    input.focus();
  });

  // ------------------------------------------------------------------ new conversation
  newChatButton.addEventListener("click", function () {
    retireStep();
    hideTyping();
    storageRemove(KEY_HISTORY);
    state.sessionId = newSessionId();
    storageSet(KEY_SESSION, state.sessionId);
    state.events = [];
    state.routines = {};
    state.currentRoutine = null;
    state.activeChoices = null;
    state.pinned = null;
    while (log.firstChild) log.removeChild(log.firstChild);
    renderIntro();
    if (socket) {
      setConnection("connecting");
      socket.disconnect();
      socket.connect();
    }
    input.value = "";
    input.focus();
  });

  // ------------------------------------------------------------------ start
  function loadFacts() {
    if (!window.fetch) return;
    window.fetch("facts.json", { cache: "no-cache" }).then(function (r) { return r.ok ? r.json() : null; })
      .then(function (facts) {
        if (facts && Array.isArray(facts.dial) && facts.dial.length && typeof facts.emergency_numbers === "string") {
          NUMBERS = facts.dial.map(String);
          NUMBERS_TEXT = facts.emergency_numbers;
        }
      }).catch(function () { /* keep the defaults */ });
  }
  loadFacts();
  if (progressButton) {
    progressButton.addEventListener("click", function () { sendMessage("/ask_progress", "How am I doing?"); });
  }
  if (handsFree) {
    handsFree.checked = storageGet(KEY_HANDS_FREE) === "1";
    handsFree.addEventListener("change", function () { storageSet(KEY_HANDS_FREE, handsFree.checked ? "1" : "0"); });
  }

  var socket = null;

  function replay(events) {
    state.replaying = true;
    log.setAttribute("aria-busy", "true");
    renderIntro();
    events.forEach(function (event) {
      try {
        if (event.t === "user") renderUser(event);
        else if (event.t === "bot") renderBot(event.data);
      } catch (e) { /* a damaged entry must not stop the rest */ }
    });
    state.events = events.slice();
    state.replaying = false;
    log.setAttribute("aria-busy", "false");
    chat.scrollTop = chat.scrollHeight;
  }

  function connect() {
    if (typeof window.io !== "function") {
      connection.dataset.state = "offline";
      connectionText.textContent = "The chat client is missing on the server (run `npm ci` in web/). Unknot can't connect.";
      return;
    }
    socket = window.io({
      path: "/socket.io",
      transports: ["websocket", "polling"],
      reconnection: true,
      reconnectionDelay: 1000,
      reconnectionDelayMax: 4000,
      randomizationFactor: 0.3,
      timeout: 8000
    });

    function requestSession() {
      socket.emit("session_request", { session_id: state.sessionId });
      clearTimeout(state.confirmTimer);
      state.confirmTimer = setTimeout(function () {
        if (socket.connected && !state.ready) requestSession();
      }, CONFIRM_RETRY_MS);
    }

    socket.on("connect", function () {
      if (!state.ready) setConnection("connecting");
      requestSession();
    });
    socket.on("session_confirm", function (data) {
      var id = data && typeof data === "object" ? data.session_id : data;
      if (id && id !== state.sessionId) return; // an answer for an older session
      clearTimeout(state.confirmTimer);
      setConnection("online");
    });
    socket.on("disconnect", function (reason) {
      if (reason === "io client disconnect") return; // our own, for a new conversation
      setConnection("offline");
      if (reason === "io server disconnect") socket.connect();
    });
    socket.on("connect_error", function () { setConnection("offline"); });
    socket.on("bot_uttered", function (data) {
      hideTyping();
      record({ t: "bot", data: data });
      renderBot(data);
    });
  }

  var saved = loadSession();
  replay(saved);
  input.disabled = false;
  setConnection("connecting");
  connect();

  // Read-only view for tests and for support ("what is my session id?").
  window.Unknot = Object.freeze({
    sessionId: function () { return state.sessionId; },
    beeps: function () { return state.beeps; },
    ready: function () { return state.ready; }
  });
})();
