"""The two backends compared: ``springsticks crosscheck``.

* :mod:`.checks`      a row of the comparison (:class:`Check`), the result table, the measures
* :mod:`.plan`        the settings (:class:`CrosscheckConfig`) and what every mode shares
* :mod:`.modes`       the five comparisons: deterministic, stochastic, pathwise, training, spectral
* :mod:`.crosscheck`  :func:`crosscheck`, the driver, and the default (demo) spec
* :mod:`.report`      the markdown report with its figures

Imports only point down this list (report reads checks), so there is no cycle.
"""
from .checks import Check, CrosscheckResult, rel_dev
from .crosscheck import DEMO_TEMPERATURE, crosscheck, default_spec
from .modes import RUNNERS
from .plan import MODES, CrosscheckConfig

__all__ = ["crosscheck", "CrosscheckConfig", "CrosscheckResult", "Check", "MODES", "RUNNERS", "default_spec",
           "DEMO_TEMPERATURE", "rel_dev"]
