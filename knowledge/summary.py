"""A one-page summary to hand to a physiotherapist or GP: the warning signs reported and
the advice given, with their times, and the routines done with pain before and after.

Three forms of the same facts: a printable HTML page, a PDF (fpdf2) and a FHIR R4
`Bundle` (pain scores as `Observation`s coded LOINC 72514-3, each referral warning as an
`Observation` and its red flags as `Flag`s). Built from the knowledge database only.
"""
from __future__ import annotations

import html
import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Optional

from .facts import region_names, routine_titles
from .progress import Entry, Progress, meaningful

LOINC_PAIN = {"system": "http://loinc.org", "code": "72514-3",
              "display": "Pain severity - 0-10 verbal numeric rating [Score] - Reported"}
LEVEL_TEXT = {"emergency_now": "Emergency: call emergency services now",
              "urgent_24h": "See a doctor or urgent care today",
              "soon": "Book a doctor or physiotherapist within days"}
DISCLAIMER = ("Made by Unknot, a self-care assistant for muscle soreness after training. It is not a "
              "diagnosis: it lists what the user reported and the advice the assistant gave.")


@dataclass(frozen=True)
class SummaryData:
    created: str
    warnings: list  # (time, level, flags, advice)
    sessions: list  # Entry, oldest first
    flag_titles: dict


def gather(progress: Progress, user_key: str, flag_titles: dict) -> SummaryData:
    return SummaryData(
        created=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        warnings=progress.triage_history(user_key),
        sessions=list(reversed(progress.history(user_key, limit=100))),
        flag_titles=flag_titles,
    )


def _change(entry: Entry) -> str:
    if entry.before is None or entry.after is None:
        return "not rated"
    if meaningful(entry.before, entry.after):
        return f"{entry.before} → {entry.after} (meaningful improvement)"
    return f"{entry.before} → {entry.after}"


def to_html(data: SummaryData) -> str:
    e = html.escape
    rows_w = "".join(
        f"<tr><td>{e(t)}</td><td>{e(LEVEL_TEXT.get(level, level))}</td>"
        f"<td>{e('; '.join(data.flag_titles.get(f, f) for f in flags))}</td><td>{e(advice)}</td></tr>"
        for t, level, flags, advice in data.warnings) or "<tr><td colspan='4'>None reported.</td></tr>"
    rows_s = "".join(
        f"<tr><td>{e(s.date)}</td><td>{e(region_names().get(s.region, s.region))}</td><td>{e(routine_titles().get(s.routine, s.routine))}</td>"
        f"<td>{e(_change(s))}</td></tr>" for s in data.sessions) or "<tr><td colspan='4'>None yet.</td></tr>"
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Unknot summary for your clinician</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><link rel="stylesheet" href="/webchat/summary.css"></head>
<body><main>
<h1>Summary for your physiotherapist or GP</h1>
<p class="meta">Made {e(data.created)} (UTC). {e(DISCLAIMER)}</p>
<h2>Warning signs reported and advice given</h2>
<table><thead><tr><th>When</th><th>Level</th><th>What was reported</th><th>Advice</th></tr></thead>
<tbody>{rows_w}</tbody></table>
<h2>Self-massage routines and pain (0-10)</h2>
<table><thead><tr><th>Date</th><th>Area</th><th>Routine</th><th>Pain before → after</th></tr></thead>
<tbody>{rows_s}</tbody></table>
<p class="note">A change of 2 points or 30% on the 0-10 scale is taken as meaningful (Farrar et al. 2001).</p>
</main></body></html>
"""


def _latin(text: str) -> str:
    """The core PDF fonts are Latin-1."""
    return str(text).replace("→", "->").encode("latin-1", "replace").decode("latin-1")


def _pdf_section(pdf, title: str, lines: list[str], empty: str) -> None:
    pdf.set_font("Helvetica", "B", 12)
    pdf.cell(0, 8, title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    for line in lines or [empty]:
        pdf.multi_cell(0, 5, _latin(line), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1)


def to_pdf(data: SummaryData) -> bytes:
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(True, margin=15)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    pdf.multi_cell(0, 9, _latin("Summary for your physiotherapist or GP"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 9)
    pdf.multi_cell(0, 5, _latin(f"Made {data.created} (UTC). {DISCLAIMER}"), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    warnings = [f"{t}  {LEVEL_TEXT.get(level, level)}: {'; '.join(data.flag_titles.get(f, f) for f in flags)}. "
                f"Advice: {advice}" for t, level, flags, advice in data.warnings]
    _pdf_section(pdf, "Warning signs reported and advice given", warnings, "None reported.")
    pdf.ln(1)
    sessions = [f"{s.date}  {region_names().get(s.region, s.region)}: {routine_titles().get(s.routine, s.routine)}, "
                f"pain {_change(s)}" for s in data.sessions]
    _pdf_section(pdf, "Self-massage routines and pain (0-10)", sessions, "None yet.")
    pdf.ln(2)
    pdf.set_font("Helvetica", "I", 8)
    pdf.multi_cell(0, 4, _latin("A change of 2 points or 30% on the 0-10 scale is taken as meaningful "
                               "(Farrar et al. 2001)."), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def to_fhir(data: SummaryData, subject_ref: Optional[str] = None) -> dict:
    """A FHIR R4 collection Bundle of Observations (pain scores, warnings) and Flags."""
    patient_id = str(uuid.uuid4())
    subject = {"reference": subject_ref or f"urn:uuid:{patient_id}"}
    entries = [{"fullUrl": f"urn:uuid:{patient_id}", "resource": {"resourceType": "Patient", "id": patient_id}}]

    def add(resource: dict) -> None:
        rid = str(uuid.uuid4())
        resource["id"] = rid
        entries.append({"fullUrl": f"urn:uuid:{rid}", "resource": resource})

    for s in data.sessions:
        for moment, value in (("before", s.before), ("after", s.after)):
            if value is None:
                continue
            add({"resourceType": "Observation", "status": "final",
                 "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                                           "code": "survey"}]}],
                 "code": {"coding": [LOINC_PAIN], "text": "Pain severity 0-10"},
                 "subject": subject, "effectiveDateTime": s.date,
                 "valueInteger": int(value),
                 "note": [{"text": f"{moment} the self-massage routine {routine_titles().get(s.routine, s.routine)} "
                                   f"({region_names().get(s.region, s.region)})"}]})
    for t, level, flags, advice in data.warnings:
        add({"resourceType": "Observation", "status": "final",
             "code": {"text": "Self-care assistant referral advice"},
             "subject": subject, "effectiveDateTime": t,
             "valueString": f"{LEVEL_TEXT.get(level, level)}. {advice}"})
        for flag in flags:
            add({"resourceType": "Flag", "status": "active",
                 "code": {"text": data.flag_titles.get(flag, flag)},
                 "subject": subject, "period": {"start": t}})
    return {"resourceType": "Bundle", "type": "collection", "timestamp": data.created, "entry": entries}


def build(progress: Progress, user_key: str, flag_titles: dict) -> tuple[str, bytes, str]:
    data = gather(progress, user_key, flag_titles)
    return to_html(data), to_pdf(data), json.dumps(to_fhir(data), ensure_ascii=False)
