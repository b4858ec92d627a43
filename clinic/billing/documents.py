"""PDFs of the superbill, the patient statement and a payment receipt (fpdf2, pure Python).

A Unicode font (DejaVu Sans) is used where the system has one, so names and currency signs print
as written; without it the PDF uses a built-in font and characters it cannot draw become "?".
"""

from __future__ import annotations

from pathlib import Path

from fpdf import FPDF

from clinic.core.locale import Locale
from clinic.core.money import format_money

FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"))
PAYER_LABELS = {"patient": "Patient", "insurance": "Insurance"}


def _font_file(name: str) -> Path | None:
    for folder in FONT_DIRS:
        if (folder / name).is_file():
            return folder / name
    return None


class Document(FPDF):
    def __init__(self, title: str, clinic, locale: Locale):
        super().__init__(format="A4")
        self.locale = locale
        self.currency = clinic.currency
        regular, bold = _font_file("DejaVuSans.ttf"), _font_file("DejaVuSans-Bold.ttf")
        if regular and bold:
            self.add_font("Body", "", str(regular))
            self.add_font("Body", "B", str(bold))
            self.family, self.unicode = "Body", True
        else:
            self.family, self.unicode = "Helvetica", False
        self.set_title(title)
        self.set_creator("Clinic")
        self.add_page()
        self.set_auto_page_break(True, margin=18)
        self.set_font(self.family, "B", 15)
        self.cell(0, 8, self.text_of(clinic.name), new_x="LMARGIN", new_y="NEXT")
        self.set_font(self.family, "", 9)
        address = ", ".join(part for part in (clinic.address_line1, clinic.address_line2, clinic.city, clinic.region,
                                              clinic.postal_code) if part)
        for line in (address, " · ".join(part for part in (clinic.phone, clinic.email) if part)):
            if line:
                self.cell(0, 5, self.text_of(line), new_x="LMARGIN", new_y="NEXT")
        self.ln(4)
        self.set_font(self.family, "B", 13)
        self.cell(0, 8, self.text_of(title), new_x="LMARGIN", new_y="NEXT")
        self.set_font(self.family, "", 10)

    def text_of(self, value) -> str:
        text = "" if value is None else str(value)
        if self.unicode:
            return text
        text = text.replace("\u202f", " ").replace("\u00a0", " ").replace("·", "-").replace("–", "-")
        return text.encode("latin-1", "replace").decode("latin-1")

    def money(self, amount: int) -> str:
        return self.text_of(format_money(amount, self.currency, self.locale))

    def fact(self, label: str, value) -> None:
        self.set_font(self.family, "B", 10)
        self.cell(48, 6, self.text_of(label))
        self.set_font(self.family, "", 10)
        self.multi_cell(0, 6, self.text_of(value), new_x="LMARGIN", new_y="NEXT")

    def table(self, headings: list[str], widths: list[int], rows: list[list[str]], right: set[int] = frozenset()):
        self.ln(2)
        self.set_font(self.family, "B", 9)
        for index, heading in enumerate(headings):
            self.cell(widths[index], 7, self.text_of(heading), border="B", align="R" if index in right else "L")
        self.ln()
        self.set_font(self.family, "", 9)
        for row in rows:
            for index, value in enumerate(row):
                self.cell(widths[index], 6, self.text_of(value)[:70], align="R" if index in right else "L")
            self.ln()
        self.ln(2)

    def output_bytes(self) -> bytes:
        return bytes(self.output())


def _patient_lines(document: Document, patient: dict) -> None:
    document.fact("Patient", f"{patient['first_name']} {patient['last_name']}")
    document.fact("MRN", patient["mrn"])
    document.fact("Date of birth", document.locale.format_date(patient.get("date_of_birth")))


async def superbill_pdf(context: dict, locale: Locale) -> bytes:
    invoice, patient = context["invoice"], context["patient"]
    document = Document(f"Superbill — invoice {invoice['number']}", context["clinic"], locale)
    _patient_lines(document, patient)
    if context.get("visit"):
        document.fact("Date of service", locale.format_date(context["visit"]["created_at"]))
    document.fact("Provider", invoice.get("provider_name") or "")
    if invoice.get("policy_row"):
        document.fact("Insurance", f"{invoice['policy_row']['payer_name']} ({invoice['policy_row']['priority']})")
    document.table(["Code", "Diagnosis"], [30, 150],
                   [[row["code"], row["description"]] for row in invoice["diagnoses"]] or [["", "None recorded"]])
    document.table(["Code", "Service", "Qty", "Unit price", "Discount", "Amount"], [22, 70, 12, 26, 24, 26],
                   [[line["code"], line["description"], str(line["quantity"]), document.money(line["unit_price"]),
                     document.money(line["discount"]), document.money(line["total"])] for line in invoice["lines"]],
                   right={2, 3, 4, 5})
    document.fact("Total charges", document.money(invoice["total"]))
    document.fact("Paid", document.money(invoice["paid"]))
    return document.output_bytes()


async def statement_pdf(context: dict, locale: Locale) -> bytes:
    patient, balance = context["patient"], context["balance"]
    document = Document("Statement", context["clinic"], locale)
    _patient_lines(document, patient)
    rows = [[str(row["number"]), locale.format_date(row["issued_at"]),
             document.money(row["total"]), document.money(row["insurance_open"]), document.money(row["patient_open"])]
            for row in context["open_invoices"]]
    document.table(["Invoice", "Issued", "Total", "Pending with insurance", "You owe"], [24, 28, 36, 50, 40],
                   rows or [["", "", "", "", "Nothing open"]], right={2, 3, 4})
    document.fact("Pending with insurance", document.money(balance.insurance_pending))
    document.fact("Credit on account", document.money(context["credit"]))
    document.set_font(document.family, "B", 12)
    document.fact("Amount due from you", document.money(max(balance.patient_due, 0)))
    return document.output_bytes()


async def receipt_pdf(context: dict, locale: Locale) -> bytes:
    payment, patient = context["payment"], context["patient"]
    document = Document(f"Receipt {payment['receipt_number']}", context["clinic"], locale)
    _patient_lines(document, patient)
    document.fact("Received", locale.format_datetime(payment["received_at"]))
    document.fact("Paid by", payment["method_label"])
    if payment["reference"]:
        document.fact("Reference", payment["reference"])
    document.fact("Amount", document.money(payment["amount"]))
    document.table(["Applied to", "Part", "Amount"], [60, 60, 40],
                   [[f"Invoice {row['invoice_number']}", PAYER_LABELS.get(row["share"], row["share"]),
                     document.money(row["amount"])] for row in payment["allocations"]] or [["", "", ""]], right={2})
    document.fact("Kept as credit", document.money(payment["unapplied"]))
    return document.output_bytes()
