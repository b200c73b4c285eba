"""`python manage.py exchange_plan`: the exchange calculation from the command line."""

import json
from argparse import ArgumentParser

from django.core.management.base import BaseCommand, CommandError

from planner.calculator import ExchangeForm

# Every option is a field of ExchangeForm, which checks it as the web page and the API do.
OPTIONS = (
    "sex",
    "weight_kg",
    "height_cm",
    "haematocrit",
    "plasma_volumes",
    "prescription",
    "prescribed_amount",
    "modality",
    "fractionator",
    "target_removal",
    "albumin_g_per_dl",
    "column",
    "method",
    "build",
    "age_years",
    "tbv_ml",
    "tbv_reason",
    "indication",
    "albumin_fraction",
    "plasma_fraction",
    "saline_fraction",
    "fluid_balance",
    "device",
    "inlet_ac_ratio",
    "inlet_flow_ml_per_min",
    "albumin_product",
    "plasma_product",
    "saline_product",
    "fibrinogen_g_per_l",
    "igg_g_per_l",
    "sessions",
    "interval_hours",
    "low_fibrinogen",
)
# The patient's facts the fluid rule weighs: flags that take no value.
FLAGS = (
    "bleeding_or_coagulopathy",
    "procedure_within_48h",
    "liver_failure",
    "diffuse_alveolar_haemorrhage",
    "saline_share_wanted",
)
REQUIRED = {"sex", "weight_kg", "height_cm", "haematocrit"}


def _help(name: str) -> str:
    # argparse formats help with %: a label's "100 %" must reach it as "100 %%".
    field = ExchangeForm.base_fields[name]
    text = str(field.label)
    if name == "indication":
        text += ' (a catalogue id, or "disease | indication" as the catalogue lists it)'
    return text.replace("%", "%%")


class Command(BaseCommand):
    help = (
        "Calculate a plasma exchange: blood and plasma volume, exchange, replacement fluids, device numbers and "
        "warnings; with --indication, the fluid proposal and its reasons; with --sessions, the course projection. "
        "Products and device default to the catalogue's defaults."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        for name in OPTIONS:
            parser.add_argument("--" + name.replace("_", "-"), dest=name, required=name in REQUIRED, help=_help(name))
        for name in FLAGS:
            parser.add_argument("--" + name.replace("_", "-"), dest=name, action="store_true", help=_help(name))
        parser.add_argument("--json", action="store_true", help="print one JSON object instead of text")

    def handle(self, *args: object, **options: object) -> None:
        data = {name: options[name] for name in OPTIONS if options.get(name) is not None}
        data |= {name: "on" for name in FLAGS if options.get(name)}
        form = ExchangeForm(data)
        if not form.is_valid():
            lines = [
                f"--{field.replace('_', '-')}: {msg}" if field != "__all__" else msg
                for field, messages in form.error_dict().items()
                for msg in messages
            ]
            raise CommandError("\n".join(lines))
        result = form.plan.as_dict()
        if options["json"]:
            self.stdout.write(json.dumps(result, ensure_ascii=False, indent=2))
            return
        self.stdout.write(_as_text(result))


def _as_text(result: dict) -> str:
    fluids = result["replacement"]
    lines = []
    if "proposal" in result:
        proposal = result["proposal"]
        lines.append(
            f"Fluid proposed: albumin {proposal['albumin_fraction']:g}, plasma {proposal['plasma_fraction']:g} (last), "
            f"saline {proposal['saline_fraction']:g} (first)"
        )
        lines += [f"  because: {reason}" for reason in proposal["reasons"]]
    lines += [
        f"Blood volume ({result['formula']}): {result['total_blood_volume_ml']} mL",
        f"Plasma volume: {result['plasma_volume_ml']} mL",
        _exchange_line(result),
    ]
    if result["ia"]:
        lines.append("Replacement: none beyond the prime and rinse")
    elif result["dfpp"]:
        lines.append(
            f"Replacement (albumin): {fluids['total_ml']} mL holding {fluids['albumin_g']:g} g -> "
            f"{fluids['albumin_vials']} vials made up with {fluids['albumin_diluent_ml']} mL saline"
        )
    else:
        lines.append(f"Replacement ({' then '.join(fluids['infusion_order'])}): {fluids['total_ml']} mL")
    if fluids["saline_ml"]:
        lines.append(f"  saline 0.9 %: {fluids['saline_ml']} mL")
    if fluids["albumin_ml"] and not result["dfpp"]:
        lines.append(
            f"  albumin 5 %: {fluids['albumin_ml']} mL = {fluids['albumin_g']:g} g -> {fluids['albumin_vials']} vials"
            f" + {fluids['albumin_diluent_ml']} mL saline to dilute"
        )
    if fluids["plasma_ml"]:
        lines.append(f"  plasma (last): {fluids['plasma_ml']} mL -> {fluids['plasma_units']} units")
    if fluids["saline_bags"]:
        lines.append(f"  saline bags: {fluids['saline_bags']}")
    anticoagulant = "heparin" if result["anticoagulant_ml"] is None else f"ACD-A {result['anticoagulant_ml']} mL"
    lines += [
        f"Device {result['device']}: whole blood {result['whole_blood_processed_ml']} mL, inlet "
        f"{result['inlet_volume_ml']} mL, {anticoagulant}, about {result['duration_min']} min",
        f"Calcium gluconate 10 %: {result['calcium_gluconate_ml']:g} mL",
        f"Extracorporeal volume: {result['extracorporeal_percent']:g} % of blood volume "
        f"({result['extracorporeal_max_percent']:g} % at maximum)",
    ]
    if "course" in result:
        course = result["course"]
        lines.append(f"Course of {len(course['sessions'])}: total-body IgG left {course['total_body_remaining']:.1%}")
        for session in course["sessions"]:
            fibrinogen = session["fibrinogen_before_g_per_l"]
            line = f"  session {session['number']} at {session['hours_from_first']:g} h: "
            line += f"IgG {session['total_body_before']:.1%} of baseline"
            if fibrinogen is not None:
                line += f", fibrinogen before {fibrinogen:g} g/L"
                line += " (under the trigger)" if session["is_fibrinogen_below_trigger"] else ""
            if session["is_topped_up"]:
                line += f", plasma {session['plasma_fraction']:g}"
            lines.append(line)
    lines += [f"WARNING {w['code']}: {w['message']}" for w in result["warnings"]] or ["No warnings."]
    return "\n".join(lines)


def _exchange_line(result: dict) -> str:
    if result["dfpp"]:
        dfpp = result["dfpp"]
        return (
            f"DFPP on {dfpp['fractionator']}: process {result['processed_plasma_ml']} mL "
            f"({result['processed_plasma_volumes']:.2f} plasma volumes) "
            f"to remove {result['removal_fraction']:.1%} of IgG; "
            f"albumin taken {dfpp['albumin_lost_g']:g} g; discard = replacement {dfpp['discard_ml']} mL "
            f"({dfpp['discard_albumin_percent']:g} % albumin)"
        )
    if result["ia"]:
        ia = result["ia"]
        removal = (
            "no IgG fall projected"
            if result["removal_fraction"] is None
            else (f"removes about {result['removal_fraction']:.1%} of IgG")
        )
        return (
            f"IA on {ia['column']}: {ia['prescribed_ml']} mL prescribed, {result['processed_plasma_ml']} mL processed "
            f"({result['processed_plasma_volumes']:.2f} plasma volumes), {removal}; no replacement fluid"
        )
    removal = f"removes about {result['removal_fraction']:.1%}"
    if result["prescription"] == "ml_per_kg":
        prescribed = f"{result['prescribed_amount']:g} mL/kg"
    elif result["prescription"] == "fixed_ml":
        prescribed = "fixed"
    else:
        return f"Exchange: {result['plasma_volumes']:g} plasma volumes = {result['exchange_volume_ml']} mL, {removal}"
    return (
        f"Exchange: {prescribed} = {result['exchange_volume_ml']} mL = {result['plasma_volumes']:.2f} plasma volumes, "
        f"{removal}"
    )
