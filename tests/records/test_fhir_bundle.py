"""The FHIR R4 Bundle of a complete record, built from a record dict (no database).

Every resource is read back with the fhir.resources R4B models, so a test
fails on anything FHIR would not accept as well as on a wrong value.
"""

from __future__ import annotations

import json

from fhir.resources.R4B.allergyintolerance import AllergyIntolerance
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.condition import Condition
from fhir.resources.R4B.immunization import Immunization
from fhir.resources.R4B.medicationstatement import MedicationStatement
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.patient import Patient

from clinic.patients.normalise import mask_identifier
from clinic.records.export import fhir_bundle

MODELS = {model.get_resource_type(): model for model in
          (Patient, AllergyIntolerance, MedicationStatement, Condition, Immunization, Observation)}
LOINC = "http://loinc.org"
SSN = "219099999"
MEMBER = "XQZ77123456"


def entry_row(**values) -> dict:
    """What every chart entry carries beside its own fields."""
    return {"id": 1, "patient": 1, "status": "active", "notes": "", "recorded_at": "2025-03-01T14:30:00+00:00",
            "recorded_by": 2, "updated_at": "2025-03-01T14:30:00+00:00", "updated_by": 2,
            "recorded_by_name": "Dana Doctor", "updated_by_name": "Dana Doctor", **values}


def record(*, national_id: str = SSN, member_number: str = MEMBER, **sections) -> dict:
    """A record as complete_record returns it (dates and times already ISO strings)."""
    patient = {
        "id": 1, "mrn": "1042373", "first_name": "José", "last_name": "Núñez", "preferred_name": "",
        "date_of_birth": "1975-07-04", "sex": "male", "phone": "+14155550142", "phone_alt": "", "email": "",
        "address_line1": "", "address_line2": "", "city": "", "region": "", "postal_code": "",
        "preferred_language": "", "emergency_contact_name": "", "emergency_contact_relation": "",
        "emergency_contact_phone": "", "front_desk_notes": "", "primary_provider": None, "last_visit_at": None,
        "archived_at": None, "merged_into": None, "version": 1, "created_at": "2024-01-02T10:00:00+00:00",
        "updated_at": "2024-01-02T10:00:00+00:00", "created_by": None, "updated_by": None, "provider_name": None,
        "national_id": national_id,
    }
    patient.update(sections.pop("patient", {}))
    insurance = [{"id": 1, "patient": 1, "payer_name": "Aetna", "plan_name": "PPO", "group_number": "",
                  "priority": "primary", "subscriber_relation": "self", "active": True,
                  "member_number": member_number}]
    empty = {key: [] for key in ("allergies", "medications", "problems", "history", "immunizations", "vital_signs",
                                 "appointments")}
    return {"patient": patient, "insurance": insurance, **empty, **sections,
            "exported_at": "2026-11-30T09:00:00+00:00"}


def vitals(**values) -> dict:
    measured = {"measured_at": "2025-03-01T14:30:00+00:00", "systolic": None, "diastolic": None, "pulse": None,
                "temperature_c": None, "weight_kg": None, "height_cm": None, "respiratory_rate": None,
                "oxygen_saturation": None}
    return entry_row(**{**measured, **values})


def resources(bundle: dict, kind: str | None = None) -> list[dict]:
    """The resources of a bundle, each read back by its fhir.resources model."""
    found = []
    for entry in Bundle.model_validate(bundle).entry:
        resource = entry.resource
        if kind is None or resource.get_resource_type() == kind:
            MODELS[resource.get_resource_type()].model_validate(resource.model_dump(mode="json"))
            found.append(resource.model_dump(mode="json", exclude_none=True))
    return found


def only(bundle: dict, kind: str) -> dict:
    (resource,) = resources(bundle, kind)
    return resource


def loinc_codes(observation: dict) -> list[str]:
    return [coding["code"] for coding in observation["code"]["coding"] if coding["system"] == LOINC]


# The bundle and the patient

def test_an_empty_chart_is_a_collection_with_the_patient_alone():
    bundle = fhir_bundle(record())
    assert bundle["resourceType"] == "Bundle" and bundle["type"] == "collection"
    assert bundle["timestamp"].startswith("2026-11-30T09:00:00")
    assert [resource["resourceType"] for resource in resources(bundle)] == ["Patient"]


def test_the_patient_has_the_mrn_name_sex_birth_date_and_phone():
    patient = only(fhir_bundle(record()), "Patient")
    assert patient["identifier"] == [{"system": "urn:clinic:mrn", "value": "1042373"}]
    assert patient["name"] == [{"use": "official", "family": "Núñez", "given": ["José"]}]
    assert (patient["gender"], patient["birthDate"], patient["active"]) == ("male", "1975-07-04", True)
    assert patient["telecom"] == [{"system": "phone", "value": "+14155550142", "use": "home"}]
    assert "address" not in patient and "communication" not in patient


def test_the_clinic_may_name_its_own_identifier_system():
    patient = only(fhir_bundle(record(), clinic_system="https://riverside-clinic.org/mrn"), "Patient")
    assert patient["identifier"][0]["system"] == "https://riverside-clinic.org/mrn"


def test_a_preferred_name_email_address_and_language_are_included_when_known():
    patient = only(fhir_bundle(record(patient={
        "preferred_name": "Pepe", "email": "jose@example.org", "address_line1": "12 Harbor Road",
        "address_line2": "Apt 3", "city": "Springfield", "region": "IL", "postal_code": "62704",
        "preferred_language": "Spanish"})), "Patient")
    assert patient["name"][1] == {"use": "usual", "given": ["Pepe"]}
    assert {"system": "email", "value": "jose@example.org"} in patient["telecom"]
    assert patient["address"] == [{"line": ["12 Harbor Road", "Apt 3"], "city": "Springfield", "state": "IL",
                                   "postalCode": "62704"}]
    assert patient["communication"] == [{"language": {"text": "Spanish"}}]


def test_an_address_without_a_street_keeps_its_city():
    patient = only(fhir_bundle(record(patient={"city": "Springfield"})), "Patient")
    assert patient["address"] == [{"city": "Springfield"}]


def test_sex_other_and_unknown_map_to_fhir_genders():
    genders = {sex: only(fhir_bundle(record(patient={"sex": sex})), "Patient")["gender"]
               for sex in ("female", "male", "other", "unknown", "")}
    assert genders == {"female": "female", "male": "male", "other": "other", "unknown": "unknown", "": "unknown"}


def test_an_archived_patient_is_not_active():
    patient = only(fhir_bundle(record(patient={"archived_at": "2026-01-01T00:00:00+00:00"})), "Patient")
    assert patient["active"] is False


def test_every_resource_points_at_the_patient_by_a_stable_id():
    bundle = fhir_bundle(record(allergies=[entry_row(substance="Latex", reaction="", severity="mild", onset=None)]))
    again = fhir_bundle(record())
    patient_url = bundle["entry"][0]["fullUrl"]
    assert patient_url.startswith("urn:uuid:") and patient_url == again["entry"][0]["fullUrl"]
    assert only(bundle, "AllergyIntolerance")["patient"] == {"reference": patient_url}
    urls = [entry["fullUrl"] for entry in bundle["entry"]]
    assert len(set(urls)) == len(urls)


def test_each_patient_gets_their_own_id():
    one = fhir_bundle(record())["entry"][0]["fullUrl"]
    other = fhir_bundle(record(patient={"mrn": "5180591"}))["entry"][0]["fullUrl"]
    assert one != other


# Identifiers: the bundle carries the MRN only

def test_a_clear_national_id_and_member_number_stay_out_of_the_bundle():
    text = json.dumps(fhir_bundle(record()))
    assert SSN not in text and MEMBER not in text
    assert only(fhir_bundle(record()), "Patient")["identifier"] == [{"system": "urn:clinic:mrn", "value": "1042373"}]


def test_a_masked_national_id_and_member_number_stay_out_of_the_bundle():
    masked = record(national_id=mask_identifier(SSN), member_number=mask_identifier(MEMBER))
    text = json.dumps(fhir_bundle(masked), ensure_ascii=False)
    assert "•" not in text and "9999" not in text and "3456" not in text
    assert fhir_bundle(masked)["entry"][0] == fhir_bundle(record())["entry"][0]


# Allergies

def allergy(**values) -> dict:
    return entry_row(**{"substance": "Penicillin", "reaction": "Hives", "severity": "severe",
                        "onset": "2019-06-01", **values})


def test_an_allergy_is_an_allergy_intolerance_with_its_reaction_and_severity():
    resource = only(fhir_bundle(record(allergies=[allergy()])), "AllergyIntolerance")
    assert resource["code"] == {"text": "Penicillin"}
    assert resource["clinicalStatus"]["coding"][0]["code"] == "active"
    assert resource["reaction"] == [{"manifestation": [{"text": "Hives"}], "severity": "severe"}]
    assert resource["onsetDateTime"] == "2019-06-01"
    assert resource["recordedDate"].startswith("2025-03-01T14:30:00")


def test_an_allergy_of_unknown_severity_keeps_its_reaction_without_a_severity():
    resource = only(fhir_bundle(record(allergies=[allergy(severity="unknown")])), "AllergyIntolerance")
    assert resource["reaction"] == [{"manifestation": [{"text": "Hives"}]}]


def test_an_allergy_without_a_reaction_has_no_reaction():
    resource = only(fhir_bundle(record(allergies=[allergy(reaction="", onset=None)])), "AllergyIntolerance")
    assert "reaction" not in resource and "onsetDateTime" not in resource


def test_inactive_and_resolved_allergies_say_so():
    bundle = fhir_bundle(record(allergies=[allergy(status="inactive"), allergy(status="resolved")]))
    assert [r["clinicalStatus"]["coding"][0]["code"] for r in resources(bundle, "AllergyIntolerance")] == [
        "inactive", "resolved"]


def test_an_allergy_entered_in_error_is_verified_as_such_without_a_clinical_status():
    resource = only(fhir_bundle(record(allergies=[allergy(status="entered_in_error")])), "AllergyIntolerance")
    assert resource["verificationStatus"]["coding"][0]["code"] == "entered-in-error"
    assert "clinicalStatus" not in resource  # FHIR invariant ait-2


# Medications

def medication(**values) -> dict:
    return entry_row(**{"name": "Metformin", "dose": "500 mg", "frequency": "twice daily", "route": "by mouth",
                        "start_date": "2024-01-10", "stop_date": None, "prescriber": "", **values})


def test_a_medication_is_a_statement_with_its_dosage_and_period():
    resource = only(fhir_bundle(record(medications=[medication(stop_date="2024-06-30")])), "MedicationStatement")
    assert resource["status"] == "active" and resource["medicationCodeableConcept"] == {"text": "Metformin"}
    assert resource["dosage"] == [{"text": "500 mg by mouth twice daily"}]
    assert resource["effectivePeriod"] == {"start": "2024-01-10", "end": "2024-06-30"}


def test_a_medication_with_only_a_stop_date_keeps_it():
    resource = only(fhir_bundle(record(medications=[medication(start_date=None, stop_date="2024-06-30")])),
                    "MedicationStatement")
    assert resource["effectivePeriod"] == {"end": "2024-06-30"}


def test_a_medication_with_only_a_name_has_no_dosage_or_period():
    resource = only(fhir_bundle(record(medications=[medication(dose="", frequency="", route="", start_date=None)])),
                    "MedicationStatement")
    assert "dosage" not in resource and "effectivePeriod" not in resource


def test_stopped_and_mistaken_medications_keep_their_status():
    bundle = fhir_bundle(record(medications=[medication(status="stopped"), medication(status="entered_in_error")]))
    assert [r["status"] for r in resources(bundle, "MedicationStatement")] == ["stopped", "entered-in-error"]


# Problems

def problem(**values) -> dict:
    return entry_row(**{"description": "Type 2 diabetes", "icd10_code": "E11.9", "onset": "2023-06-01",
                        "resolved_on": None, **values})


def test_a_problem_is_a_problem_list_condition_coded_in_icd10_cm():
    resource = only(fhir_bundle(record(problems=[problem()])), "Condition")
    assert resource["code"] == {"text": "Type 2 diabetes", "coding": [
        {"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "E11.9", "display": "Type 2 diabetes"}]}
    assert resource["category"][0]["coding"][0]["code"] == "problem-list-item"
    assert resource["clinicalStatus"]["coding"][0]["code"] == "active"  # FHIR invariant con-3
    assert resource["onsetDateTime"] == "2023-06-01"


def test_a_problem_without_a_code_is_text_only():
    resource = only(fhir_bundle(record(problems=[problem(icd10_code="", onset=None)])), "Condition")
    assert resource["code"] == {"text": "Type 2 diabetes"} and "onsetDateTime" not in resource


def test_a_resolved_problem_has_its_resolution_date():
    resource = only(fhir_bundle(record(problems=[problem(status="resolved", resolved_on="2024-02-01")])), "Condition")
    assert resource["clinicalStatus"]["coding"][0]["code"] == "resolved"
    assert resource["abatementDateTime"] == "2024-02-01"


def test_a_problem_entered_in_error_is_verified_as_such_without_a_clinical_status():
    resource = only(fhir_bundle(record(problems=[problem(status="entered_in_error")])), "Condition")
    assert resource["verificationStatus"]["coding"][0]["code"] == "entered-in-error"
    assert "clinicalStatus" not in resource  # FHIR invariant con-5


# Immunisations

def shot(**values) -> dict:
    return entry_row(**{"vaccine": "Influenza", "given_on": "2025-10-01", "dose_number": "", "lot_number": "FL2025A",
                        "site": "left deltoid", "given_by": "", **values})


def test_an_immunisation_is_a_completed_immunization_with_its_lot_and_site():
    resource = only(fhir_bundle(record(immunizations=[shot()])), "Immunization")
    assert resource["status"] == "completed" and resource["vaccineCode"] == {"text": "Influenza"}
    assert resource["occurrenceDateTime"] == "2025-10-01"
    assert resource["lotNumber"] == "FL2025A" and resource["site"] == {"text": "left deltoid"}


def test_an_immunisation_entered_in_error_says_so():
    resource = only(fhir_bundle(record(immunizations=[shot(status="entered_in_error", lot_number="", site="")])),
                    "Immunization")
    assert resource["status"] == "entered-in-error" and "lotNumber" not in resource and "site" not in resource


# Vital signs

def test_each_measurement_is_a_vital_signs_observation_with_its_loinc_code_and_ucum_unit():
    bundle = fhir_bundle(record(vital_signs=[vitals(pulse=72, respiratory_rate=16, oxygen_saturation=98,
                                                    temperature_c="37.0")]))
    observations = resources(bundle, "Observation")
    by_code = {loinc_codes(o)[0]: o["valueQuantity"] for o in observations}
    assert by_code == {
        "8867-4": {"value": 72.0, "unit": "/min", "system": "http://unitsofmeasure.org", "code": "/min"},
        "9279-1": {"value": 16.0, "unit": "/min", "system": "http://unitsofmeasure.org", "code": "/min"},
        "2708-6": {"value": 98.0, "unit": "%", "system": "http://unitsofmeasure.org", "code": "%"},
        "8310-5": {"value": 37.0, "unit": "Cel", "system": "http://unitsofmeasure.org", "code": "Cel"},
    }
    for observation in observations:
        assert observation["status"] == "final"
        assert observation["category"][0]["coding"][0]["code"] == "vital-signs"
        assert observation["effectiveDateTime"].startswith("2025-03-01T14:30:00")


def test_a_blood_pressure_is_one_panel_with_two_components():
    panel = only(fhir_bundle(record(vital_signs=[vitals(systolic=128, diastolic=82)])), "Observation")
    assert loinc_codes(panel) == ["85354-9"] and "valueQuantity" not in panel
    components = {c["code"]["coding"][0]["code"]: c["valueQuantity"] for c in panel["component"]}
    assert components == {
        "8480-6": {"value": 128.0, "unit": "mmHg", "system": "http://unitsofmeasure.org", "code": "mm[Hg]"},
        "8462-4": {"value": 82.0, "unit": "mmHg", "system": "http://unitsofmeasure.org", "code": "mm[Hg]"},
    }


def test_a_weight_and_height_measured_together_add_a_bmi():
    bundle = fhir_bundle(record(vital_signs=[vitals(weight_kg="69.9", height_cm="165.1")]))
    by_code = {loinc_codes(o)[0]: o["valueQuantity"] for o in resources(bundle, "Observation")}
    assert by_code["29463-7"]["value"] == 69.9 and by_code["29463-7"]["code"] == "kg"
    assert by_code["8302-2"]["value"] == 165.1 and by_code["8302-2"]["code"] == "cm"
    assert by_code["39156-5"] == {"value": 25.6, "unit": "kg/m2", "system": "http://unitsofmeasure.org",
                                  "code": "kg/m2"}


def test_a_weight_alone_has_no_bmi_in_the_export():
    bundle = fhir_bundle(record(vital_signs=[vitals(weight_kg="69.9")]))
    assert [loinc_codes(o) for o in resources(bundle, "Observation")] == [["29463-7"]]


def test_a_reading_entered_in_error_is_left_out():
    bundle = fhir_bundle(record(vital_signs=[vitals(status="entered_in_error", pulse=72), vitals(pulse=64)]))
    assert [o["valueQuantity"]["value"] for o in resources(bundle, "Observation")] == [64.0]


# A full chart

def test_a_full_chart_gives_one_resource_per_entry_and_measurement():
    bundle = fhir_bundle(record(
        allergies=[allergy()], medications=[medication()], problems=[problem()], immunizations=[shot()],
        history=[entry_row(kind="family", description="Mother: diabetes", when_text="")],
        vital_signs=[vitals(systolic=120, diastolic=80, weight_kg="68.0", height_cm="167.6")],
    ))
    kinds = sorted(resource["resourceType"] for resource in resources(bundle))
    assert kinds == ["AllergyIntolerance", "Condition", "Immunization", "MedicationStatement", "Observation",
                     "Observation", "Observation", "Observation", "Patient"]
