"""Targets, plots and the readable report (latest.md) from the results dictionary."""
from __future__ import annotations

import statistics
from pathlib import Path

# The sets kept sealed until the end of the latest round of safety work (issue 9).
LAST_SEALED_SETS = ("final_v15", "final_v16")

LEVELS = ("1", "8", "32")
PLOT_CONCURRENCY = "latency_vs_concurrency.png"
PLOT_TURNS = "latency_vs_turn.png"


def _get(data, *keys):
    for key in keys:
        if not isinstance(data, dict) or key not in data:
            return None
        data = data[key]
    return data


def _target(name, target, measured, passed):
    return {"name": name, "target": target, "measured": measured, "pass": passed}


def targets(r: dict) -> list[dict]:
    out = []
    ratios = _get(r, "load", "ratios") or {}
    # Issue 13's targets: the whole pipeline on, next to the bare starter bot.
    for key, name, limit in (("p50", "REST latency p50 vs starter", 1.2), ("p95", "REST latency p95 vs starter", 1.3)):
        values = [_get(ratios, u, key) for u in LEVELS]
        out.append(_target(name, f"≤ {limit}× at 1, 8 and 32 conversations",
                           " / ".join(f"{x}×" if x is not None else "–" for x in values),
                           all(x <= limit for x in values) if None not in values else None))
    tput = [_get(ratios, u, "throughput") for u in LEVELS]
    out.append(_target("Throughput vs starter", "≥ 0.85× at 1, 8 and 32 conversations",
                       " / ".join(f"{x}×" if x is not None else "–" for x in tput),
                       all(x >= 0.85 for x in tput) if None not in tput else None))
    ours, theirs = (_get(r, "startup", bot, "rasa_first_answer_s") for bot in ("unknot", "starter"))
    out.append(_target("Start-up to the first answer vs starter", "no slower",
                       f"{ours} s vs {theirs} s" if ours and theirs else "not measured",
                       ours <= theirs if ours and theirs else None))
    # Issue 11's targets.
    turns = _get(r, "long_conversation", "unknot", "ratio_200_to_1")
    out.append(_target("Long conversation: turn 200 vs turn 1", "≤ 1.2×",
                       f"{turns}×" if turns is not None else "not measured",
                       turns <= 1.2 if turns is not None else None))
    scale = _get(r, "cluster", "throughput_2_vs_1", "32")
    out.append(_target("2 Rasa servers vs 1 behind HAProxy, throughput at 32", "≥ 1.5×",
                       f"{scale}×" if scale is not None else "not measured (--cluster)",
                       scale >= 1.5 if scale is not None else None))
    memory = _get(r, "memory", "unknot", "rasa_peak_mb")
    out.append(_target("Rasa server peak memory (RSS)", "≤ 1.5 GB",
                       f"{memory / 1024:.2f} GB" if memory else "not measured",
                       memory / 1024 <= 1.5 if memory else None))
    train = _get(r, "training", "seconds")
    out.append(_target("Training (rasa train, cold cache)", "≤ 3 min",
                       f"{train / 60:.1f} min" if train else "not measured (--quick)" if _get(r, "environment", "mode") == "quick"
                       else "not measured", train <= 180 if train else None))
    intent = _get(r, "heldout", "intent_f1_weighted")
    out.append(_target("Held-out intent F1 (weighted)", "≥ 0.90", intent if intent is not None else "not measured",
                       intent >= 0.90 if intent is not None else None))
    region = _get(r, "heldout", "entities", "body_region", "f1")
    out.append(_target("Held-out region F1", "≥ 0.95", region if region is not None else "not measured",
                       region >= 0.95 if region is not None else None))
    # Issue 9's targets on the sets kept sealed until the end of the latest round.
    sets = _get(r, "safety", "sets") or {}
    for name in LAST_SEALED_SETS:
        final = sets.get(name) or {}
        recall = final.get("recall") or {}
        for level, minimum in (("emergency_now", 0.98), ("urgent_24h", 0.95), ("soon", 0.9)):
            value = recall.get(level)
            out.append(_target(f"Safety recall on sealed {name}, {level}", f"≥ {minimum:.0%}",
                               value if value is not None else "not measured",
                               value >= minimum if value is not None else None))
        alarms = final.get("false_alarm_rate")
        out.append(_target(f"False alarms on harmless twins ({name})", "≤ 5%",
                           f"{alarms:.1%}" if alarms is not None else "not measured",
                           alarms <= 0.05 if alarms is not None else None))
        asked = final.get("ambiguous_asked_rate")
        out.append(_target(f"Ambiguous high-risk mentions: warning or question ({name})", "≥ 95%",
                           f"{asked:.1%}" if asked is not None else "not measured",
                           asked >= 0.95 if asked is not None else None))
        routine = final.get("ambiguous_routine_rate")
        out.append(_target(f"Ambiguous high-risk mentions: a routine first ({name})", "0%",
                           f"{routine:.1%}" if routine is not None else "not measured",
                           routine == 0 if routine is not None else None))
    added = _get(r, "safety", "timing", "median_ms")
    out.append(_target("Detector time per message (median)", "≤ 15 ms",
                       f"{added} ms" if added is not None else "not measured",
                       added <= 15 if added is not None else None))
    return out


def _store_name(kind: str) -> str:
    """`SQL` -> SQLTrackerStore, `stores.rolling_sql.RollingSQLTrackerStore` -> RollingSQLTrackerStore."""
    return "SQLTrackerStore" if kind == "SQL" else (kind or "?").rsplit(".", 1)[-1]


def _series_label(bot: str, data: dict) -> str:
    if bot == "unknot_rasa_sql":
        return "Unknot, Rasa's SQLTrackerStore"
    return f"{'Unknot' if bot == 'unknot' else 'starter'}, {_store_name(data.get('tracker_store'))}"


# --------------------------------------------------------------------------- plots
def plots(r: dict, folder: Path) -> list[str]:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    written = []
    colours = {"unknot": "#1f77b4", "starter": "#ff7f0e", "unknot_rasa_sql": "#17becf"}
    load = r.get("load") or {}
    bots = [b for b in ("unknot", "starter") if b in load]
    if bots:
        fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.6))
        for bot in bots:
            users = [int(u) for u in LEVELS if u in load[bot]]
            left.plot(users, [load[bot][str(u)]["p50_ms"] for u in users], "o-", color=colours[bot], label=f"{bot} p50")
            left.plot(users, [load[bot][str(u)]["p95_ms"] for u in users], "s--", color=colours[bot], alpha=0.7,
                      label=f"{bot} p95")
            right.plot(users, [load[bot][str(u)]["throughput_rps"] for u in users], "o-", color=colours[bot], label=bot)
        for axis in (left, right):
            axis.set_xscale("log", base=2)
            axis.set_xticks([1, 8, 32])
            axis.set_xticklabels(["1", "8", "32"])
            axis.set_xlabel("concurrent conversations")
            axis.grid(alpha=0.3)
            axis.legend(fontsize=8)
        left.set_yscale("log")
        right.set_ylim(bottom=0)
        left.set_ylabel("REST latency (ms, log scale)")
        left.set_title("Latency per message", fontsize=10)
        right.set_ylabel("messages per second")
        right.set_title("Throughput", fontsize=10)
        fig.tight_layout()
        fig.savefig(folder / PLOT_CONCURRENCY, dpi=80)
        plt.close(fig)
        written.append(PLOT_CONCURRENCY)
    long = r.get("long_conversation") or {}
    if long:
        fig, axis = plt.subplots(figsize=(9, 3.8))
        for bot, data in long.items():
            lat = data["latencies_ms"]
            turns = list(range(1, len(lat) + 1))
            label = _series_label(bot, data)
            axis.plot(turns, lat, ".", color=colours.get(bot), alpha=0.2, markersize=3)
            rolling = [statistics.median(lat[max(0, i - 5):i + 7]) for i in range(len(lat))]
            axis.plot(turns, rolling, "--" if bot == "unknot_rasa_sql" else "-", color=colours.get(bot), label=label)
            points = [(int(t), c["median_ms"]) for t, c in data["checkpoints"].items()]
            axis.plot([p[0] for p in points], [p[1] for p in points], "D", color=colours.get(bot), markersize=6,
                      markeredgecolor="black")
        events = [(int(t), d["events"]) for t, d in ((t, _get(c, "diagnostics"))
                  for t, c in (long.get("unknot") or {}).get("checkpoints", {}).items()) if d]
        if events:
            twin = axis.twinx()
            twin.plot([e[0] for e in events], [e[1] for e in events], ":", color="grey")
            twin.set_ylabel("events in the Unknot session (dotted)", color="grey", fontsize=8)
            twin.tick_params(axis="y", colors="grey", labelsize=8)
            twin.set_ylim(bottom=0)
        axis.set_xlabel("turn in one conversation")
        axis.set_ylabel("REST latency (ms)")
        everything = sorted(x for data in long.values() for x in data["latencies_ms"])
        axis.set_ylim(0, everything[int(0.98 * (len(everything) - 1))] * 1.3)  # a few outliers off the top
        axis.grid(alpha=0.3)
        axis.legend(fontsize=8, loc="upper left")
        axis.set_title("Latency along one long conversation (lines: rolling median of 12; "
                       "diamonds: turns 1, 50, 100, 200)", fontsize=9)
        fig.tight_layout()
        fig.savefig(folder / PLOT_TURNS, dpi=80)
        plt.close(fig)
        written.append(PLOT_TURNS)
    return written


# --------------------------------------------------------------------------- markdown
def _fmt(value, unit="", digits=None):
    if value is None:
        return "–"
    if digits is not None and isinstance(value, (int, float)):
        value = f"{value:.{digits}f}"
    return f"{value}{unit}"


def _table(header: list[str], rows: list[list]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(_fmt(c) for c in row) + " |" for row in rows]
    return lines + [""]


def markdown(r: dict) -> str:
    env = r.get("environment") or {}
    total = r.get("total_seconds") or 0
    md = ["# Unknot benchmarks", "",
          f"Generated by `make bench` (`benchmarks/run.py`) on {env.get('date')}, commit {_fmt(env.get('commit'))}, "
          f"{env.get('mode')} run, {int(total // 60)} min {int(total % 60)} s.", "",
          f"Machine: {env.get('cores')} cores ({env.get('cpu')}), {env.get('memory_gb')} GB RAM; load average "
          f"{_fmt(env.get('load_average_at_start'))} at the start, {_fmt(env.get('load_average_at_end'))} at the end. "
          f"Python {env.get('python')}, Rasa {env.get('rasa')}, spaCy {env.get('spacy')}, medspaCy {env.get('medspacy')}, "
          f"TensorFlow {env.get('tensorflow')}, SQLAlchemy {env.get('sqlalchemy_rasa_env')} (Rasa) and "
          f"{env.get('sqlalchemy_actions_env')} (actions), rasa-sdk {env.get('rasa_sdk_in_actions')}.", ""]
    busy = max((env.get("load_average_at_start") or [0])[0], (env.get("load_average_at_end") or [0])[0])
    if env.get("cores") and busy > env["cores"]:
        md += [f"> The machine was busy with other work during this run (load average above {env['cores']}): "
               "absolute times are pessimistic; the Unknot/starter ratios, measured side by side, are the "
               "fairer comparison.", ""]
    md += ["## Targets", ""]
    md += _table(["", "target", "measured", "result"],
                 [[t["name"], t["target"], t["measured"], {True: "PASS", False: "**FAIL**", None: "n/a"}[t["pass"]]]
                  for t in r.get("targets") or []])
    if r.get("errors"):
        md += ["Phases that failed: " + "; ".join(r["errors"]), ""]

    # ---- speed
    load = r.get("load") or {}
    if load:
        md += ["## Speed: Unknot next to the `rasa init` starter bot", "",
               "Both served the same way: `rasa run` with the REST channel and the tracker store `make serve` "
               f"configures (`{_get(r, 'tracker_store', 'unknot')}`), each in a SQLite file of its own (Unknot with "
               "its action server; the starter has no custom actions). Each level runs "
               f"{_get(load, 'unknot', '1', 'requests') or '?'} messages: conversations of 6 messages, each with its "
               "own sender id (Unknot: greeting, pain with region, activity and equipment, yes, a 0-10 pain rating, done ×2; starter: "
               "its greeting, mood, yes/no, bot challenge, mood, goodbye), N conversations at a time, to "
               "127.0.0.1 with a 30 s time-out, after an unmeasured warm-up.", ""]
        rows = []
        for u in LEVELS:
            for bot in ("unknot", "starter"):
                s = _get(load, bot, u)
                if s:
                    rows.append([u, bot, s["p50_ms"], s["p95_ms"], s["p99_ms"], s["throughput_rps"],
                                 f"{s['errors']} / {s['empty_replies']}"])
            ratios = _get(load, "ratios", u)
            if ratios:
                rows.append([u, "**Unknot / starter**", f"{ratios['p50']}×", f"{ratios['p95']}×", "", f"{ratios['throughput']}×", ""])
        md += _table(["conversations at a time", "bot", "p50 ms", "p95 ms", "p99 ms", "messages/s",
                      "errors / empty replies"], rows)
        md += [f"![latency and throughput vs concurrency]({PLOT_CONCURRENCY})", ""]

    # ---- long conversation
    long = r.get("long_conversation") or {}
    if long:
        u, s, plain = long.get("unknot") or {}, long.get("starter") or {}, long.get("unknot_rasa_sql") or {}
        store = _store_name(u.get("tracker_store"))
        md += ["## Cost of a long conversation", "",
               f"One conversation of {u.get('turns') or s.get('turns')} messages per bot (Unknot: a routine is "
               "started, then questions and step controls — done, back, repeat — keep it going; starter: its own "
               f"messages in a loop), with the tracker store `make serve` configures (`{u.get('tracker_store')}`) "
               "in a SQLite file" + (", and once more for Unknot with Rasa's plain `SQLTrackerStore`" if plain else "")
               + f". Latency at turn T is the median of the {12} turns from T on (two whole cycles of the repeating "
               "messages, so every checkpoint has the same mix; for turn 1 the first full cycles, turns 5-16). The "
               "last four columns come from a probe that opens the Unknot conversation's SQLite file with Rasa's "
               "SQLTrackerStore at each checkpoint.", ""]
        rows = []
        for label in ("1", "50", "100", "200"):
            cu, cs, cp = (_get(x, "checkpoints", label) or {} for x in (u, s, plain))
            d, ds = cu.get("diagnostics") or {}, cs.get("diagnostics") or {}
            load = (f"{d['read_rows_ms'] + d['rebuild_tracker_ms']:.1f} ({d['read_rows_ms']} + {d['rebuild_tracker_ms']})"
                    if d.get("read_rows_ms") is not None else None)
            rows.append([label, cu.get("turns"), cu.get("median_ms"), cp.get("median_ms"), cs.get("median_ms"),
                         f"{_fmt(d.get('events'))} / {_fmt(ds.get('events'))}", load, d.get("tracker_json_kb"),
                         d.get("past_states_ms")])
        rows.append(["**200 / 1**", "", f"**{u.get('ratio_200_to_1')}×**", _fmt(plain.get("ratio_200_to_1"), "×"),
                     f"{s.get('ratio_200_to_1')}×", "", "", "", ""])
        md += _table(["turn", "turns measured", f"Unknot ms ({store})", "Unknot ms (Rasa's SQLTrackerStore)",
                      f"starter ms ({_store_name(s.get('tracker_store'))})",
                      "events in the session (Unknot / starter)",
                      "SQLTrackerStore load ms (read rows + rebuild tracker)", "tracker JSON per action call (KB)",
                      "history featurisation ms (once)"], rows)
        md += [f"First message of the conversation: Unknot {u.get('first_message_ms')} ms, starter "
               f"{s.get('first_message_ms')} ms.", "", f"![latency vs turn]({PLOT_TURNS})", ""]

    md += profile_section(r.get("profile") or {})
    md += cluster_section(r.get("cluster") or {})

    # ---- memory, start-up
    mem, start = r.get("memory") or {}, r.get("startup") or {}
    kb = r.get("knowledge_base") or {}
    md += ["## Memory, start-up, size", ""]
    rows = [
        ["Rasa server peak RSS (with children)", _fmt(_get(mem, "unknot", "rasa_peak_mb"), " MB"),
         _fmt(_get(mem, "starter", "rasa_peak_mb"), " MB")],
        ["Action server peak RSS", _fmt(_get(mem, "unknot", "actions_peak_mb"), " MB"), "none (no custom actions)"],
        ["Rasa server: start to `GET /` answering", _fmt(_get(start, "unknot", "rasa_up_s"), " s"),
         _fmt(_get(start, "starter", "rasa_up_s"), " s")],
        ["Rasa server: start to the first REST answer", _fmt(_get(start, "unknot", "rasa_first_answer_s"), " s"),
         _fmt(_get(start, "starter", "rasa_first_answer_s"), " s")],
        ["Action server: start to `/health`", _fmt(_get(start, "unknot", "actions_up_s"), " s"), "–"],
        ["Knowledge base load (`python -m knowledge load`, fresh SQLite)", _fmt(_get(start, "unknot", "kb_load_s"), " s"), "–"],
        ["Model size", _fmt(_get(r, "model", "size_mb"), " MB"), _fmt(_get(r, "starter", "model_size_mb"), " MB")],
        ["Training", _fmt(_get(r, "training", "seconds"), " s") + " (`rasa train --force`, cold cache)",
         _fmt(_get(r, "starter", "init_and_train_s"), " s") + " (`rasa init --no-prompt`, includes training)"],
    ]
    md += _table(["", "Unknot", "starter"], rows)
    if kb:
        md += [f"Knowledge base (`kb.find_routines`, {kb.get('regions')} regions × {kb.get('rounds')} rounds, "
               f"{kb.get('dialect')}): median {kb.get('cold_median_ms')} ms from the database (worst "
               f"{kb.get('cold_worst_ms')} ms), {kb.get('warm_median_ms')} ms from the process cache.", ""]

    # ---- understanding
    h = r.get("heldout") or {}
    if h:
        ents = h.get("entities") or {}
        md += ["## Understanding", "",
               f"Held-out file `{h.get('file')}` ({h.get('examples')} messages never trained on), the trained model "
               f"`models/unknot.tar.gz`: intent F1 {h.get('intent_f1_weighted')} weighted, {h.get('intent_f1_macro')} "
               f"macro, accuracy {h.get('intent_accuracy')}; entity F1 all {_get(ents, 'all', 'f1')}, region "
               f"{_get(ents, 'body_region', 'f1')}, activity {_get(ents, 'activity', 'f1')}, equipment "
               f"{_get(ents, 'equipment', 'f1')}. Parse time {h.get('parse_ms_mean')} ms per message.", ""]
        md += _table(["intent", "precision", "recall", "F1", "support"],
                     [[i, v["precision"], v["recall"], v["f1"], v["support"]] for i, v in (h.get("per_intent") or {}).items()])
        md += ["Entities (body_region, activity, equipment; per type, then per value):", ""]
        md += _table(["entity", "precision", "recall", "F1", "support"],
                     [[k, v["precision"], v["recall"], v["f1"], v["support"]] for k, v in ents.items()])
        pairs = h.get("worst_intent_pairs") or {}
        md += ["Most confused intent pairs (held-out, both directions): " +
               (", ".join(f"{k} ({v})" for k, v in pairs.items()) or "none"), ""]
    cv = r.get("cross_validation") or {}
    if cv:
        test = _get(cv, "intent", "test") or {}
        md += [f"Cross-validation (`rasa test nlu --cross-validation --folds {cv.get('folds')}` on `data/`, with "
               f"DIET reduced to {cv.get('diet_epochs')} epochs instead of 60 to fit the time budget, so slightly "
               f"pessimistic; {cv.get('seconds')} s): intent F1 {_fmt(_get(test, 'f1-score', 'mean'))} "
               f"± {_fmt(_get(test, 'f1-score', 'std'))}, accuracy {_fmt(_get(test, 'accuracy', 'mean'))} "
               f"± {_fmt(_get(test, 'accuracy', 'std'))} on the test folds."]
        for extractor, values in (cv.get("entities") or {}).items():
            if not _get(values, "test", "f1-score", "mean"):
                continue  # nothing annotated for it (see the notes)
            md[-1] += (f" Entities ({extractor}): F1 {_fmt(_get(values, 'test', 'f1-score', 'mean'))} "
                       f"± {_fmt(_get(values, 'test', 'f1-score', 'std'))}.")
        md += ["", "Most confused intent pairs (cross-validation test folds): " +
               (", ".join(f"{k} ({v})" for k, v in (cv.get("worst_intent_pairs") or {}).items()) or "none") +
               ". Weakest intents: " + (", ".join(f"{k} {v}" for k, v in (cv.get("weakest_intents") or {}).items()) or "–")
               + ".", ""]
    elif _get(r, "environment", "mode") == "quick":
        md += ["Cross-validation: skipped (`--quick`).", ""]

    # ---- safety
    sf = r.get("safety") or {}
    if sf:
        md += ["## Safety", "",
               "Red-flag detector (`safety.detector.SymptomDetector`: word families with lemmas and spelling "
               "tolerance, a semantic layer, medspaCy ConText) on every case file. `own` files were written "
               "independently and then used to tune the rules and train the semantic layer (they measure memory); "
               "`sealed` sets were written by helpers in voices of their own who never saw the rules (only aggregate "
               "figures are shown; `final_v15` and `final_v16` are the sets kept sealed until the end of round 7; `final_mixed`, "
               "`final_v3`, `final_v5`, `final_v6`, `final_v7` and `final_v8` were earlier rounds'). A flagged case counts as caught when "
               "the warning is at least as urgent as expected; \"asked\" is a warning or a safety question.", ""]
        rows = []
        for name, s_ in (sf.get("sets") or {}).items():
            c, rec = s_["counts"], s_["recall"]
            rows.append([name, s_.get("kind"), c["flagged"], c.get("ambiguous", 0), c["not_flagged"],
                         rec.get("emergency_now"), rec.get("urgent_24h"), rec.get("soon"),
                         f"{s_['false_alarm_rate']:.1%}",
                         "–" if s_.get("ambiguous_asked_rate") is None else f"{s_['ambiguous_asked_rate']:.0%}",
                         f"{s_.get('harmless_question_rate', 0):.0%}"])
        md += _table(["set", "kind", "flagged", "ambiguous", "harmless", "recall emergency", "recall urgent",
                      "recall soon", "false alarms", "ambiguous asked", "harmless asked"], rows)
        first = (sf.get("first_measurement") or {}).get("sets") or {}
        if first:
            md += ["First measurement of each sealed set (before the change that introduced it):", ""]
            md += _table(["set", "recall emergency", "recall urgent", "recall soon", "false alarms", "ambiguous asked"],
                         [[n, f["recall"].get("emergency_now"), f["recall"].get("urgent_24h"), f["recall"].get("soon"),
                           f"{f['false_alarm_rate']:.1%}", f"{f.get('ambiguous_asked_rate') or 0:.0%}"]
                          for n, f in first.items()])
        by_flag = {}
        for name, s_ in (sf.get("sets") or {}).items():
            if s_.get("kind") != "sealed":
                continue
            for flag, frac in (s_.get("recall_by_flag") or {}).items():
                ok, n = (int(x) for x in frac.split("/"))
                total = by_flag.setdefault(flag, [0, 0])
                total[0] += ok
                total[1] += n
        if by_flag:
            md += ["Recall per flag category over all sealed sets: " +
                   ", ".join(f"{f} {ok}/{n}" for f, (ok, n) in sorted(by_flag.items())) + ".", ""]
        for key, label in (("timing", "with the semantic layer"), ("timing_rules_only", "rules only")):
            t = sf.get(key) or {}
            if t:
                md += [f"Detector time per message {label} ({t.get('messages')} messages): median {t.get('median_ms')} ms, "
                       f"p95 {t.get('p95_ms')} ms, worst {t.get('worst_ms')} ms; a {t.get('long_message_chars')}-character "
                       f"message {t.get('long_message_ms')} ms.", ""]
        md += [f"Building the detector: {sf.get('detector_build_s')} s.", ""]
        enc = sf.get("encoders") or {}
        if enc:
            md += [f"Sentence encoder ({enc.get('model')}): runtimes compared on the same messages.", ""]
            md += _table(["runtime", "load s", "memory added MB", "median ms", "p95 ms", "min cosine to reference"],
                         [[k, v["load_s"], v["rss_added_mb"], v["median_ms"], v["p95_ms"], v["min_cosine_to_reference"]]
                          for k, v in enc.items() if isinstance(v, dict) and "load_s" in v])
            md += ["Install sizes (MB): " + ", ".join(f"{k} {v}" for k, v in (enc.get("install_mb") or {}).items()), ""]

    # ---- notes
    notes = findings(r)
    if notes:
        md += ["## Notes", ""] + [f"- {n}" for n in notes] + [""]
    return "\n".join(md)


def profile_section(prof: dict) -> list[str]:
    """Where a message's time goes, from py-spy's samples of both Unknot servers."""
    if not prof:
        return []
    md = ["## Where a message's time goes (profile)", "",
          "py-spy sampled the Unknot Rasa server and action server (250 samples/s, non-blocking, busy threads "
          "only) during an extra load run at 1 and at 32 conversations at a time, after the timed runs. Shares "
          "are of each server's busy CPU time; a sample counts for the first stage (in the table's order) found "
          "on its stack. The folded stacks are kept next to this file (`profile-*.folded`, for any flame-graph "
          "tool).", ""]
    for users, data in prof.items():
        rasa, actions = data.get("rasa") or {}, data.get("actions") or {}
        md += [f"### {users} conversation{'s' if users != '1' else ''} at a time", "",
               f"{data.get('messages')} messages; busy CPU: Rasa server {rasa.get('seconds_busy')} s, action server "
               f"{actions.get('seconds_busy')} s, so about {_per_message(rasa, data)} ms and "
               f"{_per_message(actions, data)} ms of CPU per message (p50 latency while sampled "
               f"{data.get('p50_ms_while_sampled')} ms).", ""]
        rows = [["Rasa: " + x["stage"], f"{x['share']:.1%}"] for x in rasa.get("stages") or []]
        rows += [[x["stage"], f"{x['share']:.1%}"] for x in actions.get("stages") or []]
        md += _table(["stage", "share of that server's CPU"], rows)
        rows = [[f"`{x['frame']}`", f"{x['share']:.1%}"] for x in (rasa.get("top_inclusive") or [])[:12]]
        md += ["Rasa server, top frames by inclusive time:", ""] + _table(["frame", "share"], rows)
    return md


def cluster_section(c: dict) -> list[str]:
    """1 vs 2 Rasa servers behind HAProxy, and 1 server without HAProxy."""
    if not c:
        return []
    one, two = c.get("rasa_servers_1") or {}, c.get("rasa_servers_2") or {}
    md = ["## Scale-out: 1 vs 2 Rasa servers behind HAProxy", "",
          f"`make cluster`'s topology on this {c.get('cores')}-core machine: HAProxy, the Rasa servers, "
          f"{c.get('action_servers')} action servers behind their own HAProxy, PostgreSQL tracker store, Redis lock "
          "store, RabbitMQ event broker. Each level: 2 conversations of 6 messages per virtual user. With one Rasa "
          "server the same load also went straight to it (`direct`), to show what HAProxy adds.", ""]
    rows = []
    for users in c.get("levels") or []:
        for label, data, route in (("1 server, direct", one, "direct"), ("1 server, HAProxy", one, "haproxy"),
                                   ("2 servers, HAProxy", two, "haproxy")):
            x = (data.get(route) or {}).get(str(users)) or {}
            rows.append([users, label, x.get("p50_ms"), x.get("p95_ms"), x.get("throughput_rps"),
                         f"{x.get('errors')} / {x.get('empty_replies')}"])
    md += _table(["conversations at a time", "topology", "p50 ms", "p95 ms", "messages/s", "errors / empty"], rows)
    ratios = c.get("throughput_2_vs_1") or {}
    overhead = c.get("haproxy_overhead_p50_ms") or {}
    md += ["Throughput of 2 Rasa servers / 1: " + ", ".join(f"{v}× at {u}" for u, v in ratios.items())
           + ". HAProxy's cost at p50: " + ", ".join(f"{v} ms at {u}" for u, v in overhead.items())
           + f". Start-up: {one.get('startup_s')} s with 1 Rasa server, {two.get('startup_s')} s with 2.", ""]
    return md


def _per_message(server: dict, data: dict):
    busy, messages = server.get("seconds_busy"), data.get("messages")
    return round(busy * 1000 / messages, 1) if busy and messages else "–"


def findings(r: dict) -> list[str]:
    """Plain statements about anything over target, from the measurements."""
    notes = []
    u = _get(r, "long_conversation", "unknot") or {}
    plain = _get(r, "long_conversation", "unknot_rasa_sql") or {}
    if u.get("ratio_200_to_1") and u["ratio_200_to_1"] > 1.5:
        first = _get(u, "checkpoints", "1", "diagnostics") or {}
        last = _get(u, "checkpoints", "200", "diagnostics") or {}
        s = _get(r, "long_conversation", "starter") or {}

        def load(d):
            return d["read_rows_ms"] + d["rebuild_tracker_ms"] if d.get("read_rows_ms") is not None else None
        grows = (f"the whole tracker goes to the action server with every action call ({first.get('tracker_json_kb')} → "
                 f"{last.get('tracker_json_kb')} KB of JSON to write, send and parse), and the policies featurise "
                 f"the whole history, several times per message ({first.get('past_states_ms')} → "
                 f"{last.get('past_states_ms')} ms each time)")
        session = ("A session only ends after session_expiration_time of silence (domain.yml: 120 min), so one "
                   "long, active conversation keeps growing.")
        if u.get("tracker_store") == "SQL":
            notes.append(
                f"Turn 200 costs {u['ratio_200_to_1']}× turn 1 (the starter bot: {s.get('ratio_200_to_1')}×). For "
                f"every message Rasa's SQLTrackerStore reads all events of the current session ({first.get('events')} "
                f"at turn 4, {last.get('events')} at turn 200, about 7 per turn) and rebuilds the tracker from them "
                f"({_fmt(load(first), '', 1)} → {_fmt(load(last), '', 1)} ms); besides, {grows}. {session} The "
                f"in-memory and Redis tracker stores also rebuild the tracker from all session events every message.")
        else:
            notes.append(
                f"Turn 200 costs {u['ratio_200_to_1']}× turn 1 with {_store_name(u.get('tracker_store'))} "
                f"(Rasa's SQLTrackerStore in the same run: {_fmt(plain.get('ratio_200_to_1'), '×')}; the starter bot: "
                f"{s.get('ratio_200_to_1')}×). The cache spares rebuilding the tracker from the database "
                f"({_fmt(load(first), '', 1)} → {_fmt(load(last), '', 1)} ms with Rasa's store), but what still "
                f"grows with the session ({first.get('events')} events at turn 4, {last.get('events')} at turn 200): "
                f"{grows}. {session}")
    slow = [t for t in r.get("targets") or [] if t["pass"] is False and t["name"].startswith(("REST", "Throughput"))]
    check = _get(r, "heldout", "action_response_validation") or {}
    p50 = _get(r, "load", "unknot", "1", "p50_ms")
    for t in slow:
        notes.append(f"{t['name']}: {t['measured']} (target {t['target']}).")
    if check.get("rasa_ms_per_call") and p50:
        notes.append(
            f"Fixed costs cut (channels/speedups.py, endpoints): Rasa 3.6's check of each action-server response "
            f"with jsonschema.validate() re-checks its whole events schema, {check['rasa_ms_per_call']} ms per call "
            f"here; the same check with a validator built once takes {check['prebuilt_validator_ms_per_call']} ms "
            f"(about {check['rasa_ms_per_call'] / p50:.0%} of Unknot's p50 of {p50} ms saved per message). "
            f"enable_selective_domain leaves the domain ({check.get('domain_json_kb_not_sent')} KB of JSON) out of "
            f"every action call; the rolling tracker store bounds the tracker each call carries.")
    cv = r.get("cross_validation") or {}
    if any(_get(v, "test", "f1-score", "mean") == 0 for v in (cv.get("entities") or {}).values()):
        notes.append("Cross-validation entity scores of 0 belong to RedFlagDetector: its red_flag entities are not "
                     "annotated in data/, so Rasa has nothing to score them against (the safety suites measure it).")
    return notes
