"""The crosscheck moved up a layer, to :mod:`springsticks.compare` (the application).

It runs both backends, so it cannot live in one of them: ``ss_circuit`` imports nothing from
the application (``tests/test_layers.py``), which is why this module does not re-export it.
"""
raise ImportError("ss_circuit.crosscheck moved to springsticks.compare: "
                  "use `from springsticks.compare import crosscheck, CrosscheckConfig`")
