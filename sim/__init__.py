"""weilai: an agent-based model of Ningbo's nine future industries, 2024-2035.

Layers (imports point downward only):
  1. model       ``agents/``, ``sim.model``, ``sim.rules``: Mesa agents and pure step rules;
  2. experiment  ``sim.experiment``: the only code that builds models in a loop;
  3. analysis    ``sim.targets``, ``sim.sensitivity``, ``calibration``: read stored results;
  4. presentation ``sim.charts``, ``sim.brief``, ``notebooks/``.
"""

__version__ = "0.1.0"
