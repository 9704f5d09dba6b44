"""Static description of the simulated fleet: plants, asset types, components, sensors.

Everything here is plain data so the simulator, the fleet metadata and the tests read
one definition. Numbers are chosen to look like Shanghai automotive / electronics
plants, not measured from any real site.
"""

from __future__ import annotations

from dataclasses import dataclass

UTC_OFFSET_HOURS = 8
"""Shanghai local time is UTC+8; shifts and daily patterns follow local time."""

MODES: tuple[str, ...] = ("idle", "normal", "heavy")
"""``operating_mode`` values 0, 1, 2."""

MODE_LOAD: tuple[float, ...] = (0.15, 1.0, 1.7)
"""Wear-clock speed per mode: a heavy hour wears parts 1.7x a normal hour."""

SENSORS: dict[str, str] = {
    "temperature_c": "°C, housing / motor / discharge temperature",
    "vibration_mm_s": "mm/s, vibration velocity RMS",
    "current_a": "A, motor current",
    "pressure_bar": "bar, hydraulic / pneumatic / lubrication / process pressure",
    "acoustic_db": "dB(A), acoustic emission level",
    "speed_rpm": "rpm, shaft speed",
    "power_kw": "kW, active power",
    "ambient_temp_c": "°C, hall temperature next to the machine",
}
SENSOR_NAMES: tuple[str, ...] = tuple(SENSORS)

RESOLUTION: dict[str, float] = {
    "temperature_c": 0.1,
    "vibration_mm_s": 0.01,
    "current_a": 0.1,
    "pressure_bar": 0.01,
    "acoustic_db": 0.1,
    "speed_rpm": 1.0,
    "power_kw": 0.01,
    "ambient_temp_c": 0.1,
}
"""Reporting resolution of each channel (real transmitters quantise)."""


@dataclass(frozen=True)
class Plant:
    """A site: its lines, how it runs its shifts, and which asset types it holds."""

    name: str
    code: str
    weight: float
    lines: int
    work_hours: tuple[int, int]
    """Local start and end hour of production (end exclusive; 6-6 means 24 h)."""
    work_days: int
    """Production days per week counted from Monday (5 = Mon-Fri, 7 = every day)."""
    type_mix: dict[str, float]


@dataclass(frozen=True)
class Component:
    """A failure mode of an asset type: how fast it wears and what sensors it moves.

    ``signature`` maps sensor -> (kind, amplitude, exponent); at damage d in [0, 1]
    the sensor moves by amplitude * d**exponent, added (``add``) or as a fraction of
    the healthy value (``mul``). Convex exponents keep early wear nearly invisible.
    """

    name: str
    code: str
    share: float
    """Share of the asset type's failures that this component causes."""
    repair_hours: float
    """Median corrective downtime."""
    pm_restore: float
    """Share of the wear since the last job that a preventive maintenance undoes."""
    signature: dict[str, tuple[str, float, float]]


@dataclass(frozen=True)
class AssetType:
    """A kind of machine: healthy sensor levels, components and maintenance cadence."""

    name: str
    code: str
    wear: float
    """Relative failure rate of the type (fleet average near 1)."""
    baseline: dict[str, float]
    pm_interval_days: int
    components: tuple[Component, ...]


# Failure signatures per component name (a bearing wears the same way in any machine).
SIGNATURES: dict[str, tuple[str, dict[str, tuple[str, float, float]]]] = {
    "servo_motor": ("SRV", {"current_a": ("mul", 0.25, 2), "temperature_c": ("add", 12, 2),
                            "power_kw": ("mul", 0.15, 2)}),
    "gearbox": ("GBX", {"vibration_mm_s": ("mul", 1.0, 2.5), "acoustic_db": ("add", 8, 2),
                        "temperature_c": ("add", 6, 2)}),
    "cable": ("CBL", {"current_a": ("mul", 0.15, 3), "temperature_c": ("add", 4, 2)}),
    "bearing": ("BRG", {"vibration_mm_s": ("mul", 1.5, 3), "temperature_c": ("add", 10, 2),
                        "acoustic_db": ("add", 6, 2)}),
    "clutch": ("CLT", {"speed_rpm": ("mul", -0.06, 2), "temperature_c": ("add", 9, 2),
                       "acoustic_db": ("add", 5, 3)}),
    "seal": ("SEL", {"pressure_bar": ("mul", -0.25, 2), "power_kw": ("mul", 0.1, 2)}),
    "tool_clamp": ("TCL", {"vibration_mm_s": ("mul", 0.8, 3), "acoustic_db": ("add", 4, 2)}),
    "pump": ("PMP", {"pressure_bar": ("mul", -0.2, 2), "temperature_c": ("add", 7, 2)}),
    "belt": ("BLT", {"speed_rpm": ("mul", -0.08, 2), "vibration_mm_s": ("mul", 0.5, 2),
                     "current_a": ("mul", -0.06, 2)}),
    "impeller": ("IMP", {"pressure_bar": ("mul", -0.2, 2), "vibration_mm_s": ("mul", 0.7, 3),
                         "power_kw": ("mul", 0.05, 2)}),
    "valve": ("VLV", {"pressure_bar": ("mul", -0.15, 2), "current_a": ("mul", 0.1, 2)}),
    "cooler": ("CLR", {"temperature_c": ("add", 15, 2), "power_kw": ("mul", 0.08, 2)}),
}  # fmt: skip

# name, code, wear, PM interval (days), healthy levels in SENSOR_NAMES order (without
# ambient), and per component: (name, share of failures, median repair h, PM restore).
_TYPES = (
    ("welding_robot", "WR", 0.9, 90, (45, 1.8, 18, 5.5, 72, 1500, 9),
     (("servo_motor", 0.4, 10, 0.25), ("gearbox", 0.35, 30, 0.2), ("cable", 0.25, 5, 0.4))),
    ("stamping_press", "SP", 1.2, 60, (55, 4.5, 120, 180, 92, 300, 90),
     (("bearing", 0.4, 36, 0.25), ("clutch", 0.3, 20, 0.3), ("seal", 0.3, 8, 0.5))),
    ("cnc_spindle", "CN", 1.0, 90, (38, 1.2, 25, 40, 78, 12000, 15),
     (("bearing", 0.5, 24, 0.2), ("tool_clamp", 0.3, 6, 0.35), ("pump", 0.2, 8, 0.3))),
    ("conveyor_drive", "CV", 0.8, 120, (50, 2.8, 12, 2.0, 70, 1450, 5.5),
     (("gearbox", 0.35, 16, 0.2), ("bearing", 0.35, 8, 0.25), ("belt", 0.3, 4, 0.5))),
    ("paint_pump", "PP", 1.0, 60, (42, 2.2, 30, 8.0, 75, 2900, 15),
     (("impeller", 0.35, 12, 0.2), ("seal", 0.4, 6, 0.5), ("bearing", 0.25, 10, 0.25))),
    ("air_compressor", "AC", 1.1, 90, (80, 3.5, 150, 7.5, 85, 2950, 75),
     (("bearing", 0.4, 24, 0.25), ("valve", 0.3, 6, 0.4), ("cooler", 0.3, 12, 0.35))),
)  # fmt: skip


def _asset_type(
    name: str, code: str, wear: float, pm_days: int, levels: tuple, parts: tuple
) -> AssetType:
    comps = tuple(
        Component(part, SIGNATURES[part][0], share, repair, restore, SIGNATURES[part][1])
        for part, share, repair, restore in parts
    )
    baseline = dict(zip(SENSOR_NAMES[:-1], map(float, levels), strict=True))
    return AssetType(name, code, wear, baseline, pm_days, comps)


ASSET_TYPES: dict[str, AssetType] = {row[0]: _asset_type(*row) for row in _TYPES}
TYPE_NAMES: tuple[str, ...] = tuple(ASSET_TYPES)

COMPONENT_NAMES: tuple[str, ...] = tuple(
    dict.fromkeys(c.name for t in ASSET_TYPES.values() for c in t.components)
)
"""Union of component names; the truth table has one ``health_<name>`` column each."""

# Type mixes in order: welding robot, stamping press, CNC spindle, conveyor drive,
# paint pump, air compressor.
PLANTS: tuple[Plant, ...] = tuple(
    Plant(name, code, weight, lines, hours, days, dict(zip(TYPE_NAMES, mix, strict=True)))
    for name, code, weight, lines, hours, days, mix in (
        ("Lingang", "LG", 0.25, 4, (6, 6), 6, (0.35, 0.1, 0.05, 0.2, 0.2, 0.1)),
        ("Pudong", "PD", 0.2, 3, (6, 22), 5, (0.15, 0.05, 0.3, 0.25, 0.1, 0.15)),
        ("Jiading", "JD", 0.2, 3, (6, 22), 6, (0.3, 0.2, 0.05, 0.15, 0.2, 0.1)),
        ("Baoshan", "BS", 0.15, 2, (6, 6), 7, (0.1, 0.45, 0.05, 0.2, 0.0, 0.2)),
        ("Songjiang", "SJ", 0.2, 3, (7, 23), 5, (0.1, 0.0, 0.4, 0.25, 0.1, 0.15)),
    )
)  # fmt: skip

SUPPLIERS: dict[str, float] = {"Huatai": 0.9, "Shenlong": 1.0, "Dongfang": 1.2}
"""Original parts supplier of an asset -> relative wear speed."""

MODE_PROBS_WORK: tuple[float, float, float] = (0.08, 0.62, 0.30)
MODE_PROBS_OFF: tuple[float, float, float] = (0.88, 0.10, 0.02)

NUISANCE_CODES: tuple[str, ...] = ("COMM-LOSS", "DOOR-OPEN", "E-STOP", "LIGHT-CURTAIN")
