"""The prescription as a PDF for a pharmacy (fpdf2), laid out like the printable page.

DejaVu Sans is used where the system has it, so names in any Latin, Greek or
Cyrillic script print as written; without it the PDF falls back to the core
Helvetica font and spells other letters in ASCII (anyascii) rather than fail.
"""

from __future__ import annotations

from pathlib import Path

from anyascii import anyascii
from fpdf import FPDF

from clinic.core.locale import Locale

FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"))


def _font_files() -> tuple[Path, Path] | None:
    for folder in FONT_DIRS:
        regular, bold = folder / "DejaVuSans.ttf", folder / "DejaVuSans-Bold.ttf"
        if regular.is_file() and bold.is_file():
            return regular, bold
    return None


class _Document(FPDF):
    def __init__(self):
        # A4 width with Letter height is the common printable area: fits either paper.
        super().__init__(format=(210, 279))
        fonts = _font_files()
        self.unicode = fonts is not None
        if fonts:
            self.add_font("Body", "", str(fonts[0]))
            self.add_font("Body", "B", str(fonts[1]))
            self.family_name = "Body"
        else:
            self.family_name = "Helvetica"
        self.set_margins(18, 16, 18)
        self.set_auto_page_break(True, margin=18)

    def text_of(self, value: str) -> str:
        if self.unicode:
            return value
        return "".join(ch if ord(ch) < 256 else anyascii(ch) for ch in value)

    def line_of(self, value: str, *, size: float = 10, bold: bool = False, height: float = 5.5) -> None:
        self.set_font(self.family_name, "B" if bold else "", size)
        self.multi_cell(0, height, self.text_of(value), new_x="LMARGIN", new_y="NEXT")


def prescription_pdf(rx: dict, patient: dict, clinic, locale: Locale) -> bytes:
    pdf = _Document()
    pdf.set_title(f"Prescription {rx['number_label']}")
    pdf.set_creator(clinic.name)
    pdf.add_page()
    pdf.line_of(clinic.name, size=15, bold=True, height=7)
    for line in clinic.address:
        pdf.line_of(line, size=9, height=4.5)
    contact = " · ".join(part for part in (clinic.phone, clinic.email) if part)
    if contact:
        pdf.line_of(contact, size=9, height=4.5)
    pdf.ln(2)
    pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - pdf.r_margin, pdf.get_y())
    pdf.ln(3)
    if rx["status"] != "active":
        why = "discontinued" if rx["status"] == "discontinued" else "replaced by a renewal"
        when = locale.format_date(rx["stopped_at"]) if rx.get("stopped_at") else ""
        pdf.line_of(f"NOT VALID FOR DISPENSING: {why} {('on ' + when) if when else ''}".strip(), size=12, bold=True,
                    height=7)
    pdf.line_of(f"Prescription {rx['number_label']}", size=12, bold=True, height=6)
    pdf.line_of(f"Date: {locale.long_date(rx['signed_at'])}")
    pdf.ln(2)
    pdf.line_of("Patient", size=9, bold=True, height=4.5)
    pdf.line_of(f"{patient['first_name']} {patient['last_name']}", size=11)
    pdf.line_of(f"Date of birth: {locale.format_date(patient['date_of_birth'])}")
    pdf.ln(3)
    pdf.line_of("Rx", size=14, bold=True, height=7)
    drug = " ".join(part for part in (rx["drug_name"], rx["strength"], rx["form"]) if part)
    pdf.line_of(drug, size=12, bold=True, height=6)
    directions = [("Dose", rx["dose"]), ("Route", rx["route"]), ("Frequency", rx["frequency"]),
                  ("Duration", rx["duration"]), ("Quantity", rx["quantity"]), ("Refills", str(rx["refills"]))]
    for label, value in directions:
        if value:
            pdf.line_of(f"{label}: {value}")
    if rx["instructions"]:
        pdf.ln(1)
        pdf.line_of("Instructions for the patient", size=9, bold=True, height=4.5)
        pdf.line_of(rx["instructions"])
    pdf.ln(14)
    y = pdf.get_y()
    pdf.line(pdf.l_margin, y, pdf.l_margin + 80, y)
    pdf.ln(1.5)
    pdf.line_of("Signature", size=8, height=4)
    pdf.ln(2)
    pdf.line_of(f"Prescriber: {rx['prescriber_name']}", bold=True)
    pdf.line_of(f"Licence number: {rx['prescriber_licence']}")
    pdf.line_of(f"Signed electronically {locale.format_datetime(rx['signed_at'])}", size=8, height=4)
    return bytes(pdf.output())
