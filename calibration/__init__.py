"""Calibration of the weilai model to Ningbo's data: compared series, ABC-SMC, draws, report, stylized facts.

``weilai calibrate`` (:mod:`calibration.fit`) runs it; ``calibration/draws.csv`` and ``calibration/report/``
are the committed results that every scenario uses by default (see docs/ODD.md, section 8).
"""
