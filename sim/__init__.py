"""weilai: an agent-based model of Ningbo's nine future industries, 2024-2035.

Layers as folders, imports only downward (docs/ARCHITECTURE.md; checked by ``lint-imports``):
``core`` < ``inputs`` < ``scenario`` < ``model`` (+ ``agents/``) < ``engine`` < ``analysis``
(+ ``calibration/``) < ``presentation`` < ``commands`` < ``cli``.
"""

__version__ = "0.1.0"
