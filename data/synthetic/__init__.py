"""Seeded simulator of a Shanghai smart-factory fleet that writes contract-valid datasets.

Usage::

    from forewarn.synthetic import FleetConfig, simulate_fleet, write_fleet
    cfg = FleetConfig(n_assets=200, days=120, freq="1h", seed=7, scenario="none")
    fleet = simulate_fleet(cfg)             # telemetry, events, assets, truth, metadata
    summary = write_fleet(cfg, "out/fleet")  # Parquet parts + fleet.json, one batch at a time

Plants (Shanghai): Lingang, Pudong, Jiading, Baoshan, Songjiang, 2-4 lines each, with
their own shift patterns (local time, UTC+8).

Asset types and their components (failure modes):

- ``welding_robot``: servo_motor, gearbox, cable
- ``stamping_press``: bearing, clutch, seal
- ``cnc_spindle``: bearing, tool_clamp, pump
- ``conveyor_drive``: gearbox, bearing, belt
- ``paint_pump``: impeller, seal, bearing
- ``air_compressor``: bearing, valve, cooler

Telemetry columns (Float64, null for dropouts) and units:

- ``temperature_c`` (°C): housing / motor / discharge temperature
- ``vibration_mm_s`` (mm/s): vibration velocity RMS
- ``current_a`` (A): motor current
- ``pressure_bar`` (bar): hydraulic / pneumatic / lubrication / process pressure
- ``acoustic_db`` (dB(A)): acoustic emission level
- ``speed_rpm`` (rpm): shaft speed
- ``power_kw`` (kW): active power
- ``ambient_temp_c`` (°C): hall temperature next to the machine
- ``operating_mode`` (Int8): 0 idle, 1 normal, 2 heavy; drives load, wear and levels

Hidden model: each component's damage is a Wiener process with drift on an operational
clock (faster under heavy modes, for frail, old or poorly supplied assets); the part
fails when damage reaches 1 (health = 1 - damage reaches 0) or at a rare shock.
Failures stop the asset for a repair (no telemetry rows), then a ``maintenance`` event
(code ``CM``) renews the part. Planned maintenance (``PM``) idles the asset for a few
hours and restores part of every component. Alarms grow more frequent as damage rises.
Readings carry regime effects, daily and seasonal climate, component failure
signatures, noise, dropouts, gateway outages, stuck transmitters and spikes.

Truth (never read by the pipeline): daily at 00:00 UTC per asset, ``in_downtime``
(repair or planned stop), ``health_<component>`` for every component name above (null
where the asset type lacks it) and the oracle's ``p_fail_1d/3d/7d/14d``.

Drift scenarios (``none``, ``recalibration``, ``supplier``, ``seasonal``) are described in
``forewarn.synthetic.scenarios``; ``metadata["drift"]`` names the affected assets, types,
sensors, components and the start date.
"""

from forewarn.synthetic.config import FleetConfig
from forewarn.synthetic.fleet import Fleet, simulate_fleet
from forewarn.synthetic.writer import write_fleet

__all__ = ["Fleet", "FleetConfig", "simulate_fleet", "write_fleet"]
