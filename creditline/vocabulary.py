"""The domain vocabulary of design §6: CP option types and indicator streams with units."""
from __future__ import annotations

# The eight cleaner-production option types (UNEP/UNIDO).
CP_OPTIONS = (
    "good_housekeeping", "input_material_change", "better_process_control",
    "equipment_modification", "technology_change", "onsite_recovery_reuse",
    "useful_by_products", "product_modification",
)

# Indicator streams and the one unit each is measured in.
STREAM_UNITS: dict[str, str] = {
    "electricity": "kWh", "natural_gas": "m3", "diesel": "L", "fuel_oil": "L", "coal": "t",
    "lpg": "kg", "water": "m3", "raw_material": "t", "chemicals": "t", "solid_waste": "t",
    "hazardous_waste": "t", "wastewater": "m3",
}
STREAMS = tuple(STREAM_UNITS)
ENERGY_STREAMS = ("electricity", "natural_gas", "diesel", "fuel_oil", "coal", "lpg")

TECHNOLOGY_READINESS = ("commercial", "demonstrated", "pilot", "prototype")

# Documents a proposal can carry; each rulebook's checklist names the ones it requires.
DOCUMENT_KINDS: dict[str, str] = {
    "quotation": "supplier quotations for the equipment",
    "technical_datasheet": "technical data sheets of the equipment",
    "financial_statements": "financial statements of the last two years",
    "business_registration": "business registration certificate",
    "cash_flow_projection": "cash-flow projection of the investment",
    "energy_audit": "energy or cleaner-production audit report",
    "environmental_permit": "environmental permit or licence",
    "ownership_declaration": "declaration of ownership (domestic share)",
}

# Codes people read differently from "the code with spaces, capitalised" (see :func:`label`).
LABELS: dict[str, str] = {
    "lpg": "LPG", "pro_forma": "Pro-forma", "onsite_recovery_reuse": "On-site recovery and reuse",
    "useful_by_products": "Useful by-products", "ncpc": "NCPC", "sme": "SME", "fund_admin": "Fund administrator",
    "bank_officer": "Bank officer", "senior_verifier": "Senior verifier", "in_arrears": "In arrears",
    "written_off": "Written off", "technically_reviewed": "Technically reviewed",
    "principal_reduction": "Reduction of the loan principal", "enterprise": "Paid to the enterprise",
    "natural_gas": "Natural gas", "co2e": "CO2e", "ipmvp": "IPMVP",
}


def label(code: object) -> str:
    """What people read for a code: ``fuel_oil`` is "Fuel oil", ``pro_forma`` "Pro-forma invoice"."""
    if code is None:
        return ""
    text = str(code)
    if text in LABELS:
        return LABELS[text]
    if not text or not text.replace("_", "").replace("-", "").isalnum() or text != text.lower():
        return text  # not a code: names, e-mail addresses and free text are shown as written
    return text.replace("_", " ").capitalize()
