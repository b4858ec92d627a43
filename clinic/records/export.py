"""A patient's complete record (HIPAA right of access): JSON, and a FHIR R4 Bundle.

The Bundle is built with and validated by the ``fhir.resources`` models. Its
8.x releases carry FHIR R5 as the default and R4B (4.3, the R4 technical
correction) as the R4 line; the resources used here are unchanged between
R4 and R4B.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from clinic.clinical import services as clinical
from clinic.clinical.sections import SECTIONS
from clinic.clinical.tables import VitalSigns
from clinic.clinical.vitals import bmi
from clinic.core import clock
from clinic.patients import services
from clinic.patients.normalise import mask_identifier
from clinic.patients.tables import Patient, PatientInsurance
from clinic.scheduling.tables import Appointment
from clinic.security import fields
from clinic.visits import services as visits

SECTION_KEYS = ("allergies", "medications", "problems", "history", "immunizations")


def _plain(value):
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


async def complete_record(patient_id: int, *, identifiers: bool = True, insurance: bool = True) -> dict:
    """Everything we hold about the patient, decrypted, as plain data.

    ``identifiers=False`` masks the national id and member numbers (last 4);
    ``insurance=False`` leaves the policies out.
    """
    patient = await services.get_patient(patient_id)
    national_id = fields.cipher().open(Patient, "national_id", patient_id, patient["national_id"])
    demographics = {key: _plain(value) for key, value in patient.items()
                    if not key.endswith("_key") and key not in ("national_id", "national_id_index")}
    demographics["national_id"] = national_id if identifiers else mask_identifier(national_id)
    policies = []
    for row in await services.insurance_of(patient_id, include_inactive=True) if insurance else []:
        number = fields.cipher().open(PatientInsurance, "member_number", row["id"], row["member_number"])
        policies.append({**{k: _plain(v) for k, v in row.items()
                            if k not in ("member_number", "member_number_index", "member_number_masked")},
                         "member_number": number if identifiers else mask_identifier(number)})
    record = {"patient": demographics, "insurance": policies}
    for key in SECTION_KEYS:
        rows = await clinical.entries(SECTIONS[key], patient_id)
        record[key] = [{k: _plain(v) for k, v in row.items()} for row in rows]
    vitals = await VitalSigns.select().where(VitalSigns.patient == patient_id).order_by(VitalSigns.measured_at)
    for row in vitals:
        row["notes"] = fields.cipher().open(VitalSigns, "notes", row["id"], row["notes"])
    record["vital_signs"] = [{k: _plain(v) for k, v in row.items()} for row in vitals]
    appointments = await Appointment.select(
        Appointment.id, Appointment.starts_at, Appointment.ends_at, Appointment.status, Appointment.reason,
        Appointment.provider.full_name.as_alias("provider"),
    ).where(Appointment.patient == patient_id).order_by(Appointment.starts_at)
    record["appointments"] = [{k: _plain(v) for k, v in row.items()} for row in appointments]
    record["visits"] = [_plain_tree(await visits.get_visit(patient_id, row["id"]))
                        for row in reversed(await visits.patient_visits(patient_id))]
    record["exported_at"] = clock.now().isoformat()
    return record


def _plain_tree(value):
    """A visit with its sections, diagnoses, services and addenda, as plain data."""
    if isinstance(value, dict):
        return {key: _plain_tree(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain_tree(item) for item in value]
    return _plain(value)


def _coding(system: str, code: str, display: str) -> dict:
    return {"system": system, "code": code, "display": display}


LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
CLINICAL_STATUS = {
    "allergy": "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical",
    "condition": "http://terminology.hl7.org/CodeSystem/condition-clinical",
}


def fhir_bundle(record: dict, clinic_system: str = "urn:clinic:mrn") -> dict:
    """A FHIR R4 collection Bundle, validated by fhir.resources (raises if invalid)."""
    from fhir.resources.R4B.bundle import Bundle

    patient = record["patient"]
    patient_ref = f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, clinic_system + ':' + patient['mrn'])}"
    entries = []

    def add(resource: dict) -> None:
        full_url = f"urn:uuid:{uuid.uuid4()}" if resource["resourceType"] != "Patient" else patient_ref
        entries.append({"fullUrl": full_url, "resource": resource})

    telecom = [{"system": "phone", "value": patient["phone"], "use": "home"}] if patient["phone"] else []
    if patient["email"]:
        telecom.append({"system": "email", "value": patient["email"]})
    address = [{"line": [line for line in (patient["address_line1"], patient["address_line2"]) if line] or None,
                "city": patient["city"] or None, "state": patient["region"] or None,
                "postalCode": patient["postal_code"] or None}] if patient["address_line1"] or patient["city"] else []
    add({
        "resourceType": "Patient",
        "identifier": [{"system": clinic_system, "value": patient["mrn"]}],
        "active": patient["archived_at"] is None,
        "name": [{"use": "official", "family": patient["last_name"], "given": [patient["first_name"]]}]
        + ([{"use": "usual", "given": [patient["preferred_name"]]}] if patient["preferred_name"] else []),
        "gender": {"female": "female", "male": "male", "other": "other"}.get(patient["sex"], "unknown"),
        "birthDate": patient["date_of_birth"],
        "telecom": telecom or None,
        "address": [{k: v for k, v in a.items() if v} for a in address] or None,
        "communication": [{"language": {"text": patient["preferred_language"]}}] if patient["preferred_language"] else None,
    })
    subject = {"reference": patient_ref}
    for allergy in record["allergies"]:
        status = {"active": "active", "inactive": "inactive", "resolved": "resolved"}.get(allergy["status"])
        resource = {
            "resourceType": "AllergyIntolerance",
            "patient": subject,
            "code": {"text": allergy["substance"]},
            "recordedDate": allergy["recorded_at"],
        }
        if status:
            resource["clinicalStatus"] = {"coding": [_coding(CLINICAL_STATUS["allergy"], status, status.capitalize())]}
        else:
            resource["verificationStatus"] = {"coding": [_coding(
                "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification", "entered-in-error",
                "Entered in Error")]}
        if allergy["severity"] in ("mild", "moderate", "severe") and allergy["reaction"]:
            resource["reaction"] = [{"manifestation": [{"text": allergy["reaction"]}],
                                     "severity": allergy["severity"]}]
        elif allergy["reaction"]:
            resource["reaction"] = [{"manifestation": [{"text": allergy["reaction"]}]}]
        if allergy["onset"]:
            resource["onsetDateTime"] = allergy["onset"]
        add(resource)
    for medication in record["medications"]:
        status = {"active": "active", "stopped": "stopped", "entered_in_error": "entered-in-error"}[medication["status"]]
        dosage = " ".join(part for part in (medication["dose"], medication["route"], medication["frequency"]) if part)
        resource = {"resourceType": "MedicationStatement", "status": status, "subject": subject,
                    "medicationCodeableConcept": {"text": medication["name"]}}
        if dosage:
            resource["dosage"] = [{"text": dosage}]
        period = {"start": medication["start_date"], "end": medication["stop_date"]}
        if any(period.values()):
            resource["effectivePeriod"] = period  # a stop date alone is a period too
        add(resource)
    for problem in record["problems"]:
        code = {"text": problem["description"]}
        if problem["icd10_code"]:
            code["coding"] = [_coding("http://hl7.org/fhir/sid/icd-10-cm", problem["icd10_code"], problem["description"])]
        resource = {"resourceType": "Condition", "subject": subject, "code": code,
                    "category": [{"coding": [_coding("http://terminology.hl7.org/CodeSystem/condition-category",
                                                     "problem-list-item", "Problem List Item")]}]}
        if problem["status"] in ("active", "inactive", "resolved"):
            resource["clinicalStatus"] = {"coding": [_coding(CLINICAL_STATUS["condition"], problem["status"],
                                                             problem["status"].capitalize())]}
        else:
            resource["verificationStatus"] = {"coding": [_coding(
                "http://terminology.hl7.org/CodeSystem/condition-ver-status", "entered-in-error", "Entered in Error")]}
        if problem["onset"]:
            resource["onsetDateTime"] = problem["onset"]
        if problem["resolved_on"]:
            resource["abatementDateTime"] = problem["resolved_on"]
        add(resource)
    for shot in record["immunizations"]:
        resource = {"resourceType": "Immunization", "patient": subject, "vaccineCode": {"text": shot["vaccine"]},
                    "status": "entered-in-error" if shot["status"] == "entered_in_error" else "completed",
                    "occurrenceDateTime": shot["given_on"]}
        if shot["lot_number"]:
            resource["lotNumber"] = shot["lot_number"]
        if shot["site"]:
            resource["site"] = {"text": shot["site"]}
        add(resource)
    for vitals in record["vital_signs"]:
        if vitals["status"] == "entered_in_error":
            continue
        for observation in _vital_observations(vitals, subject):
            add(observation)
    bundle = {"resourceType": "Bundle", "type": "collection", "timestamp": record["exported_at"],
              "entry": [_drop_none(entry) for entry in entries]}
    return Bundle.model_validate(bundle).model_dump(mode="json", exclude_none=True)


def _drop_none(value):
    if isinstance(value, dict):
        return {k: _drop_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_none(v) for v in value]
    return value


def _quantity(value, unit: str, code: str) -> dict:
    return {"value": float(Decimal(str(value))), "unit": unit, "system": UCUM, "code": code}


def _vital_observations(vitals: dict, subject: dict) -> list[dict]:
    base = {"resourceType": "Observation", "status": "final", "subject": subject,
            "effectiveDateTime": vitals["measured_at"],
            "category": [{"coding": [_coding("http://terminology.hl7.org/CodeSystem/observation-category",
                                             "vital-signs", "Vital Signs")]}]}
    observations = []
    simple = [
        ("pulse", "8867-4", "Heart rate", "/min", "/min"),
        ("respiratory_rate", "9279-1", "Respiratory rate", "/min", "/min"),
        ("oxygen_saturation", "2708-6", "Oxygen saturation", "%", "%"),
        ("temperature_c", "8310-5", "Body temperature", "Cel", "Cel"),
        ("weight_kg", "29463-7", "Body weight", "kg", "kg"),
        ("height_cm", "8302-2", "Body height", "cm", "cm"),
    ]
    for key, code, name, unit, ucum in simple:
        if vitals.get(key) not in (None, ""):
            observations.append({**base, "code": {"coding": [_coding(LOINC, code, name)], "text": name},
                                 "valueQuantity": _quantity(vitals[key], unit, ucum)})
    if vitals.get("systolic"):
        observations.append({**base, "code": {"coding": [_coding(LOINC, "85354-9", "Blood pressure panel")],
                                              "text": "Blood pressure"},
                             "component": [
                                 {"code": {"coding": [_coding(LOINC, "8480-6", "Systolic blood pressure")]},
                                  "valueQuantity": _quantity(vitals["systolic"], "mmHg", "mm[Hg]")},
                                 {"code": {"coding": [_coding(LOINC, "8462-4", "Diastolic blood pressure")]},
                                  "valueQuantity": _quantity(vitals["diastolic"], "mmHg", "mm[Hg]")},
                             ]})
    body_mass = bmi(vitals.get("weight_kg"), vitals.get("height_cm"))
    if body_mass:
        observations.append({**base, "code": {"coding": [_coding(LOINC, "39156-5", "Body mass index")], "text": "BMI"},
                             "valueQuantity": _quantity(body_mass, "kg/m2", "kg/m2")})
    return observations
