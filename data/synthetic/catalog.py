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
    """Fraction of damage removed by a preventive maintenance."""
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


def _c(name: str, code: str, share: float, repair: float, restore: float, **sig) -> Component:
    return Component(name, code, share, repair, restore, dict(sig))


ASSET_TYPES: dict[str, AssetType] = {
    t.name: t
    for t in (
        AssetType(
            "welding_robot",
            "WR",
            0.9,
            dict(
                temperature_c=45,
                vibration_mm_s=1.8,
                current_a=18,
                pressure_bar=5.5,
                acoustic_db=72,
                speed_rpm=1500,
                power_kw=9,
            ),
            90,
            (
                _c(
                    "servo_motor",
                    "SRV",
                    0.4,
                    10,
                    0.25,
                    current_a=("mul", 0.25, 2.0),
                    temperature_c=("add", 12.0, 2.0),
                    power_kw=("mul", 0.15, 2.0),
                ),
                _c(
                    "gearbox",
                    "GBX",
                    0.35,
                    30,
                    0.2,
                    vibration_mm_s=("mul", 1.0, 2.5),
                    acoustic_db=("add", 8.0, 2.0),
                    temperature_c=("add", 6.0, 2.0),
                ),
                _c(
                    "cable",
                    "CBL",
                    0.25,
                    5,
                    0.4,
                    current_a=("mul", 0.15, 3.0),
                    temperature_c=("add", 4.0, 2.0),
                ),
            ),
        ),
        AssetType(
            "stamping_press",
            "SP",
            1.2,
            dict(
                temperature_c=55,
                vibration_mm_s=4.5,
                current_a=120,
                pressure_bar=180,
                acoustic_db=92,
                speed_rpm=300,
                power_kw=90,
            ),
            60,
            (
                _c(
                    "bearing",
                    "BRG",
                    0.4,
                    36,
                    0.25,
                    vibration_mm_s=("mul", 1.5, 3.0),
                    temperature_c=("add", 10.0, 2.0),
                    acoustic_db=("add", 6.0, 2.0),
                ),
                _c(
                    "clutch",
                    "CLT",
                    0.3,
                    20,
                    0.3,
                    speed_rpm=("mul", -0.06, 2.0),
                    temperature_c=("add", 9.0, 2.0),
                    acoustic_db=("add", 5.0, 3.0),
                ),
                _c(
                    "seal",
                    "SEL",
                    0.3,
                    8,
                    0.5,
                    pressure_bar=("mul", -0.25, 2.0),
                    power_kw=("mul", 0.1, 2.0),
                ),
            ),
        ),
        AssetType(
            "cnc_spindle",
            "CN",
            1.0,
            dict(
                temperature_c=38,
                vibration_mm_s=1.2,
                current_a=25,
                pressure_bar=40,
                acoustic_db=78,
                speed_rpm=12000,
                power_kw=15,
            ),
            90,
            (
                _c(
                    "bearing",
                    "BRG",
                    0.5,
                    24,
                    0.2,
                    vibration_mm_s=("mul", 1.5, 3.0),
                    temperature_c=("add", 10.0, 2.0),
                    acoustic_db=("add", 6.0, 2.0),
                ),
                _c(
                    "tool_clamp",
                    "TCL",
                    0.3,
                    6,
                    0.35,
                    vibration_mm_s=("mul", 0.8, 3.0),
                    acoustic_db=("add", 4.0, 2.0),
                ),
                _c(
                    "pump",
                    "PMP",
                    0.2,
                    8,
                    0.3,
                    pressure_bar=("mul", -0.2, 2.0),
                    temperature_c=("add", 7.0, 2.0),
                ),
            ),
        ),
        AssetType(
            "conveyor_drive",
            "CV",
            0.8,
            dict(
                temperature_c=50,
                vibration_mm_s=2.8,
                current_a=12,
                pressure_bar=2.0,
                acoustic_db=70,
                speed_rpm=1450,
                power_kw=5.5,
            ),
            120,
            (
                _c(
                    "gearbox",
                    "GBX",
                    0.35,
                    16,
                    0.2,
                    vibration_mm_s=("mul", 1.0, 2.5),
                    acoustic_db=("add", 8.0, 2.0),
                    temperature_c=("add", 6.0, 2.0),
                ),
                _c(
                    "bearing",
                    "BRG",
                    0.35,
                    8,
                    0.25,
                    vibration_mm_s=("mul", 1.5, 3.0),
                    temperature_c=("add", 10.0, 2.0),
                    acoustic_db=("add", 6.0, 2.0),
                ),
                _c(
                    "belt",
                    "BLT",
                    0.3,
                    4,
                    0.5,
                    speed_rpm=("mul", -0.08, 2.0),
                    vibration_mm_s=("mul", 0.5, 2.0),
                    current_a=("mul", -0.06, 2.0),
                ),
            ),
        ),
        AssetType(
            "paint_pump",
            "PP",
            1.0,
            dict(
                temperature_c=42,
                vibration_mm_s=2.2,
                current_a=30,
                pressure_bar=8.0,
                acoustic_db=75,
                speed_rpm=2900,
                power_kw=15,
            ),
            60,
            (
                _c(
                    "impeller",
                    "IMP",
                    0.35,
                    12,
                    0.2,
                    pressure_bar=("mul", -0.2, 2.0),
                    vibration_mm_s=("mul", 0.7, 3.0),
                    power_kw=("mul", 0.05, 2.0),
                ),
                _c(
                    "seal",
                    "SEL",
                    0.4,
                    6,
                    0.5,
                    pressure_bar=("mul", -0.25, 2.0),
                    power_kw=("mul", 0.1, 2.0),
                ),
                _c(
                    "bearing",
                    "BRG",
                    0.25,
                    10,
                    0.25,
                    vibration_mm_s=("mul", 1.5, 3.0),
                    temperature_c=("add", 10.0, 2.0),
                    acoustic_db=("add", 6.0, 2.0),
                ),
            ),
        ),
        AssetType(
            "air_compressor",
            "AC",
            1.1,
            dict(
                temperature_c=80,
                vibration_mm_s=3.5,
                current_a=150,
                pressure_bar=7.5,
                acoustic_db=85,
                speed_rpm=2950,
                power_kw=75,
            ),
            90,
            (
                _c(
                    "bearing",
                    "BRG",
                    0.4,
                    24,
                    0.25,
                    vibration_mm_s=("mul", 1.5, 3.0),
                    temperature_c=("add", 10.0, 2.0),
                    acoustic_db=("add", 6.0, 2.0),
                ),
                _c(
                    "valve",
                    "VLV",
                    0.3,
                    6,
                    0.4,
                    pressure_bar=("mul", -0.15, 2.0),
                    current_a=("mul", 0.1, 2.0),
                ),
                _c(
                    "cooler",
                    "CLR",
                    0.3,
                    12,
                    0.35,
                    temperature_c=("add", 15.0, 2.0),
                    power_kw=("mul", 0.08, 2.0),
                ),
            ),
        ),
    )
}
TYPE_NAMES: tuple[str, ...] = tuple(ASSET_TYPES)

COMPONENT_NAMES: tuple[str, ...] = tuple(
    dict.fromkeys(c.name for t in ASSET_TYPES.values() for c in t.components)
)
"""Union of component names; the truth table has one ``health_<name>`` column each."""

PLANTS: tuple[Plant, ...] = (
    Plant(
        "Lingang",
        "LG",
        0.25,
        4,
        (6, 6),
        6,
        dict(
            welding_robot=0.35,
            stamping_press=0.1,
            paint_pump=0.2,
            conveyor_drive=0.2,
            air_compressor=0.1,
            cnc_spindle=0.05,
        ),
    ),
    Plant(
        "Pudong",
        "PD",
        0.2,
        3,
        (6, 22),
        5,
        dict(
            cnc_spindle=0.3,
            conveyor_drive=0.25,
            air_compressor=0.15,
            welding_robot=0.15,
            paint_pump=0.1,
            stamping_press=0.05,
        ),
    ),
    Plant(
        "Jiading",
        "JD",
        0.2,
        3,
        (6, 22),
        6,
        dict(
            welding_robot=0.3,
            stamping_press=0.2,
            paint_pump=0.2,
            conveyor_drive=0.15,
            air_compressor=0.1,
            cnc_spindle=0.05,
        ),
    ),
    Plant(
        "Baoshan",
        "BS",
        0.15,
        2,
        (6, 6),
        7,
        dict(
            stamping_press=0.45,
            conveyor_drive=0.2,
            air_compressor=0.2,
            welding_robot=0.1,
            cnc_spindle=0.05,
        ),
    ),
    Plant(
        "Songjiang",
        "SJ",
        0.2,
        3,
        (7, 23),
        5,
        dict(
            cnc_spindle=0.4,
            conveyor_drive=0.25,
            air_compressor=0.15,
            paint_pump=0.1,
            welding_robot=0.1,
        ),
    ),
)

SUPPLIERS: dict[str, float] = {"Huatai": 0.9, "Shenlong": 1.0, "Dongfang": 1.2}
"""Original parts supplier of an asset -> relative wear speed."""

MODE_PROBS_WORK: tuple[float, float, float] = (0.08, 0.62, 0.30)
MODE_PROBS_OFF: tuple[float, float, float] = (0.88, 0.10, 0.02)

NUISANCE_CODES: tuple[str, ...] = ("COMM-LOSS", "DOOR-OPEN", "E-STOP", "LIGHT-CURTAIN")
