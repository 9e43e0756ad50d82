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
    "fast_track": "Fast track", "not_scored": "Not scored",
}


# ISIC Rev.4 divisions the fund lends to (manufacturing, the utilities and waste), by their two digits:
# the reports show "C13 Textiles" where the code alone meant nothing to most readers.
ISIC_DIVISIONS: dict[str, str] = {
    "10": "Food products", "11": "Beverages", "12": "Tobacco products", "13": "Textiles",
    "14": "Wearing apparel", "15": "Leather and related products", "16": "Wood and cork products",
    "17": "Paper and paper products", "18": "Printing and recorded media", "19": "Coke and refined petroleum products",
    "20": "Chemicals and chemical products", "21": "Pharmaceuticals", "22": "Rubber and plastics products",
    "23": "Other non-metallic mineral products", "24": "Basic metals", "25": "Fabricated metal products",
    "26": "Computer, electronic and optical products", "27": "Electrical equipment", "28": "Machinery and equipment",
    "29": "Motor vehicles and trailers", "30": "Other transport equipment", "31": "Furniture",
    "32": "Other manufacturing", "33": "Repair and installation of machinery",
    "35": "Electricity, gas, steam and air conditioning supply", "36": "Water collection, treatment and supply",
    "37": "Sewerage", "38": "Waste collection, treatment and disposal; materials recovery",
}


def sector(code: object) -> str:
    """An ISIC code with its division's name where known: ``ISIC C13`` or ``C1313`` is "C13 Textiles"."""
    text = "" if code is None else str(code).removeprefix("ISIC ").strip()
    digits = text[1:3] if text[:1].isalpha() else text[:2]
    name = ISIC_DIVISIONS.get(digits) if digits.isdigit() and len(digits) == 2 else None
    return f"{text[:3] if text[:1].isalpha() else digits} {name}" if name else (text or "")


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


def event_label(action: object) -> str:
    """An audited action as people read it: ``loan.in_arrears`` is "Loan: in arrears"."""
    text = "" if action is None else str(action)
    entity, _, what = text.partition(".")
    if not what:
        return label(text)
    named = label(what)
    return f"{label(entity)}: {named if what in LABELS and named[:2].isupper() else named[:1].lower() + named[1:]}"


def readable(value: object) -> str:
    """A stored value (an audit event's before or after) in words: codes as labels, records as "Field: value"."""
    if value is None:
        return "—"
    if isinstance(value, dict):
        return "; ".join(f"{label(k)}: {readable(v)}" for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return ", ".join(readable(v) for v in value) or "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return label(value)
