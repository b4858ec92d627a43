"""The access report as a PDF (fpdf2), laid out like the printable page.

Uses the prescription PDF's document (DejaVu Sans where the system has it,
Helvetica with ASCII spellings otherwise), so names print as written.
"""

from __future__ import annotations

from clinic.access_report.entries import AccessReport
from clinic.core.locale import Locale
from clinic.prescriptions.printing import _Document

COLUMNS = (("When", 36), ("Who", 48), ("What", 0))


def access_report_pdf(report: AccessReport, patient: dict, clinic, locale: Locale, produced_by: str) -> bytes:
    pdf = _Document()
    pdf.set_title("Who accessed your record")
    pdf.set_creator(clinic.name)
    pdf.add_page()
    pdf.line_of(clinic.name, size=15, bold=True, height=7)
    for line in clinic.address:
        pdf.line_of(line, size=9, height=4.5)
    pdf.ln(2)
    pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - pdf.r_margin, pdf.get_y())
    pdf.ln(3)
    pdf.line_of("Who accessed your record", size=14, bold=True, height=7)
    pdf.line_of(f"Patient: {patient['first_name']} {patient['last_name']}, "
                f"born {locale.format_date(patient['date_of_birth'])}")
    pdf.line_of(f"Period: {locale.format_date(report.date_from)} to {locale.format_date(report.date_to)} "
                f"(times in the clinic's time zone, {locale.timezone})")
    pdf.line_of(f"Produced by {produced_by} on {locale.format_datetime(locale.now_local())}", size=9, height=4.5)
    pdf.ln(2)
    pdf.line_of(verification_sentence(report), size=10, bold=True)
    pdf.line_of(summary_sentence(report))
    pdf.ln(2)
    width = pdf.w - pdf.l_margin - pdf.r_margin
    widths = [w or width - sum(c[1] for c in COLUMNS) for _, w in COLUMNS]
    pdf.set_font(pdf.family_name, "B", 9)
    for (label, _), w in zip(COLUMNS, widths):
        pdf.cell(w, 6, label, border="B")
    pdf.ln(6)
    for access in report.accesses:
        what = access.what + (" (you were one of several patients shown)" if access.among_others else "")
        if access.outcome == "denied":
            what += " (refused)"
        if access.break_glass:
            what += f" BREAK-THE-GLASS: emergency access. Reason given: {access.reason or 'not recorded'}"
        who = access.who + (f", {access.role}" if access.role else "")
        cells = [locale.format_datetime(access.at), who, what]
        pdf.set_font(pdf.family_name, "B" if access.break_glass else "", 9)
        texts = [pdf.text_of(text) for text in cells]
        lines = max(len(pdf.multi_cell(w, 4.5, text, dry_run=True, output="LINES")) for text, w in zip(texts, widths))
        if pdf.get_y() + 4.5 * lines > pdf.h - pdf.b_margin:
            pdf.add_page()
        top, x = pdf.get_y(), pdf.l_margin
        for text, w in zip(texts, widths):
            pdf.set_xy(x, top)
            pdf.multi_cell(w, 4.5, text)
            x += w
        pdf.set_xy(pdf.l_margin, top + 4.5 * lines + 1.5)
    if not report.accesses:
        pdf.line_of("Nobody accessed the record in this period.")
    return bytes(pdf.output())


def verification_sentence(report: AccessReport) -> str:
    v = report.verification
    if v.ok:
        return (f"The audit trail for this period was verified: {v.checked:,} entries checked, none changed, "
                f"removed or inserted.")
    return f"THE AUDIT TRAIL FAILED VERIFICATION at entry #{v.broken_at}: {v.problem}."


def summary_sentence(report: AccessReport) -> str:
    count = len(report.accesses)
    if not count:
        return "No access to the record was recorded in this period."
    glass = report.break_glass_count
    text = f"{count} access{'es' if count != 1 else ''} by {report.people} " \
           f"{'people' if report.people != 1 else 'person'}"
    return text + (f", {glass} of them break-the-glass (emergency) access." if glass else ".")
