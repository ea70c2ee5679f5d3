"""The toolkit's typed errors: what went wrong, and what the user should do about it.

One base, :class:`SpringsSticksError`, and two kinds under it, each with the exit status the
``springsticks`` command returns for it (``exit_code``) and a ``hint`` (what to do; ``None``
where the message already says):

* :class:`InputError` (also a ``ValueError``), exit 2: the arguments, a spec or the data cannot
  describe a run. :class:`SpecError`, :class:`UnstableStepError`.
* :class:`SimulationError` (also a ``RuntimeError``), exit 3: a simulator or the environment
  failed on valid input. :class:`NonFiniteResultError`, :class:`ClusterError`, and ngspice's
  :class:`~ss_circuit.ngspice.NgspiceError` family.

This module imports nothing (every layer, and ngspice worker processes, may import it).
"""
from __future__ import annotations

__all__ = ["SpringsSticksError", "InputError", "SpecError", "UnstableStepError", "SimulationError",
           "NonFiniteResultError", "ClusterError", "EXIT_OK", "EXIT_CHECK_FAILED", "EXIT_INPUT", "EXIT_SIMULATION",
           "EXIT_INTERRUPTED"]

#: the exit statuses of the ``springsticks`` command
EXIT_OK, EXIT_CHECK_FAILED, EXIT_INPUT, EXIT_SIMULATION, EXIT_INTERRUPTED = 0, 1, 2, 3, 130


class SpringsSticksError(Exception):
    """Base of every error this toolkit raises on purpose (catch it to catch them all)."""

    exit_code: int = EXIT_SIMULATION
    #: what the user should do, appended to the message by the command line (None: the message says)
    hint: str | None = None


class InputError(SpringsSticksError, ValueError):
    """Bad input: an argument, a spec or a data set that cannot describe a run.

    Raised before anything is simulated; the message names the offending key or argument.
    Correct it and run again.
    """

    exit_code = EXIT_INPUT


class SpecError(InputError):
    """A spec that cannot describe an experiment (or cannot be read); the message names the key.

    Fix the spec (``examples/specs/`` holds specs that work).
    """

    hint = "fix the spec (examples/specs/ holds specs that work)"


class UnstableStepError(InputError):
    """A requested time step above the scheme's stability limit for this system.

    The message names the stiffest mode and a stable step: use it, or leave ``dt`` out to have
    one chosen.
    """


class SimulationError(SpringsSticksError, RuntimeError):
    """A simulator or the environment failed on input that was valid.

    The message quotes the simulator where it can. If the input is as intended, report it with
    the spec and the command that produced it.
    """

    exit_code = EXIT_SIMULATION
    hint = "if the input is as intended, please report it with the spec and the command"


class NonFiniteResultError(SimulationError):
    """A trajectory came out NaN or infinite (the run diverged).

    The message names the first non-finite series and output time. Run again with a smaller
    time step (``run.dt``); for the circuit, ``run.method = "gear"`` can help too.
    """

    hint = None


class ClusterError(SimulationError):
    """The Dask cluster of a sweep could not be started or reached (``springsticks sweep``).

    The message names the scheduler address; start one (``dask scheduler``) or leave
    ``--scheduler`` out to run on this machine.
    """

    hint = None
