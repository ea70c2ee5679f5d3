"""springsticks — the application: the ``springsticks`` command and what it runs.

Three layers, imports only pointing down (``tests/test_layers.py`` asserts it):

* :mod:`ss_mech` — the machine and its solvers (no circuits, no command line);
* :mod:`ss_circuit` — the same machine as an ngspice circuit (reads the element list);
* :mod:`springsticks` — this package:

  * :mod:`springsticks.cli`       the ``springsticks`` command (every subcommand's argparse)
  * :mod:`springsticks.backends`  the backends a spec can run on (``mech``, ``circuit``)
  * :mod:`springsticks.compare`   the crosscheck of the two backends, and its report
  * :mod:`springsticks.reproduce` the paper's results
  * :mod:`springsticks.bench`     speed and memory figures
  * :mod:`springsticks.plotting`  figures shared by the above
"""
__version__ = "0.1.0"
