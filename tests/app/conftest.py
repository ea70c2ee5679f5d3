import pytest


@pytest.fixture(scope="session")
def small_result():
    """A real CrosscheckResult, cheaply: the deterministic comparison of one stick (N = 2) over t = 0.5."""
    from ss_mech import Grid, System
    from ss_mech.spec import spec_dict
    from springsticks.compare import CrosscheckConfig, crosscheck

    system = System(Grid((1,), (0.0,), (1.0,)), X=[[0.0], [1.0]], y=[0.3, -0.2], mass=1.0, stiffness=1.0,
                    friction=2.0, temperature=1.0)
    spec = spec_dict(system, x0=[0.8, 0.5], v0=[0.0, 0.0], t_end=0.5)
    return crosscheck(spec, config=CrosscheckConfig(n_out=21), modes=("deterministic",))
