"""The machine in the frequency domain: linear response, thermal-noise spectrum, and their conventions.

For ``M ẍ + Γ ẋ + K x = F(t)`` the response to a force at angular frequency ω is

    χ(ω) = (K − ω² M + i ω Γ)⁻¹,

and with ``fdt`` noise (force noise ``⟨η ηᵀ⟩ = 2 k_BT Γ δ``) the displacement spectrum is

    S_x(ω) = 2 k_BT · χ(ω) Γ χ(ω)ᴴ = −(2 k_BT / ω) · Im χ(ω)      (fluctuation–dissipation),

the second form because ``χ − χᴴ = −2iω χΓχᴴ`` (K, M, Γ symmetric, so χ is symmetric and ``Im``
is taken elementwise; ``Im χ`` is negative semidefinite for ω > 0: the machine absorbs power).
Integrated over all frequencies a pinned mode carries its equipartition share,
``∫_{−∞}^{∞} S_x dω/2π = k_BT·K⁻¹``. A free mode (pinned by no spring, ω_n = 0) has
``S ∝ 1/ω²`` as ω → 0: an unbounded spectrum whose integral diverges (its position diffuses).

Any linear readout ``r = R x`` (the loss's residuals ``W x − y``: R = W, a node's height, every
height) has the response ``R χ Rᵀ`` (to a force ``Rᵀ f`` applied through the readout's levers) and
the spectrum ``R S_x Rᵀ``; the constant ``−y`` of the residuals changes neither.

Conventions (the one place they are stated; everything else converts through this module)
--------------------------------------------------------------------------------------------
* Fourier transform ``x̂(ω) = ∫ x(t) e^{−iωt} dt``, so ``d/dt → iω`` and the sign of ``Im χ`` above.
* ``S(ω)`` is **two-sided, per unit angular frequency**: ``⟨r_a r_b⟩ = ∫_{−∞}^{∞} S_ab(ω) dω/2π``.
  A force noise of intensity ``2 k_BT r`` (``⟨ηη⟩ = 2k_BT r δ``) has the flat ``S_η = 2 k_BT r``.
* Instruments (ngspice's ``.noise``, :func:`scipy.signal.welch`) report the **one-sided density
  per unit ordinary frequency** ``G(f)`` with ``∫_0^∞ G df = ⟨r²⟩``: ``S(2πf) = G(f)/2``
  (:func:`two_sided`, :func:`one_sided`); ``ω = 2πf`` (:func:`angular`, :func:`cycles`).
  Johnson noise ``4 k_BT R`` (one-sided) is thus the ``2 k_BT R`` above.
* Time: ω is in the spec's own time units (radians per time unit). A circuit runs ``t_c = τ t``
  (``x = q/α``, ``F = αV/ε``; :mod:`ss_circuit.scaling`), so its frequency is ``f_c = ω/(2πτ)`` Hz
  and a density per circuit angular frequency is ``τ`` times the density per mechanical one.

Functions: :func:`readout_matrix` (named readouts), :func:`response`, :func:`noise_spectrum`,
:func:`fdt_spectrum`, :func:`modes` (frequencies and quality factors), :func:`pinned_readouts`,
:func:`integrated_spectrum` and :func:`equipartition` (∫S dω/2π against k_BT·R K⁺ Rᵀ).
Dense linear algebra: meant for small machines (a few hundred degrees of freedom).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .errors import InputError

__all__ = ["Readout", "READOUTS", "readout_matrix", "check_omega", "response", "noise_spectrum", "fdt_spectrum",
           "noise_matrix", "require_fdt_spectrum", "modes", "pinned_readouts", "integrated_spectrum", "equipartition",
           "two_sided", "one_sided", "angular", "cycles", "decade_grid"]

#: the named readouts (and ``'node:I'`` for the height of degree of freedom I)
READOUTS = ("heights", "residuals")


# ------------------------------------------------------------------------------ conventions
def two_sided(one_sided_density):
    """``S(ω = 2πf) = G(f)/2``: a one-sided density per unit frequency → two-sided per unit angular frequency."""
    return 0.5 * np.asarray(one_sided_density)


def one_sided(two_sided_density):
    """``G(f) = 2 S(2πf)``: the inverse of :func:`two_sided`."""
    return 2.0 * np.asarray(two_sided_density)


def angular(f):
    """ω = 2πf."""
    return 2.0 * math.pi * np.asarray(f, dtype=float)


def cycles(omega):
    """f = ω/2π."""
    return np.asarray(omega, dtype=float) / (2.0 * math.pi)


def check_omega(omega, name: str = "omega") -> np.ndarray:
    """``omega`` as a 1-D float array of finite angular frequencies > 0 (InputError naming the first bad one)."""
    w = np.atleast_1d(np.asarray(omega, dtype=float))
    if w.ndim != 1 or w.size == 0:
        raise InputError(f"{name} must be a non-empty list of angular frequencies, got shape {w.shape}")
    bad = ~(np.isfinite(w) & (w > 0))
    if bad.any():
        raise InputError(f"{name} must be finite frequencies > 0 (the spectrum of a free mode diverges at 0), "
                         f"got {float(w[bad][0])!r} at index {int(np.flatnonzero(bad)[0])}")
    return w


# ------------------------------------------------------------------------------ readouts
@dataclass(frozen=True)
class Readout:
    """A linear readout ``r = R x``: its name, matrix (n_r × N, dense) and one label per row."""

    name: str
    matrix: np.ndarray
    labels: tuple

    @property
    def size(self) -> int:
        return self.matrix.shape[0]


def readout_matrix(system, which="heights") -> Readout:
    """The readout named ``which``.

    ``'heights'``: every degree of freedom (R = I); ``'residuals'``: the data springs' ``W x − y``
    (R = the spring levers, one row per point and label; needs data); ``'node:I'``: the height of
    degree of freedom I (0 ≤ I < N); a :class:`Readout` or an (n_r × N) array is used as given.
    """
    N = system.n_dof
    if isinstance(which, Readout):
        return which
    if not isinstance(which, str):
        R = np.atleast_2d(np.asarray(which, dtype=float))
        if R.ndim != 2 or R.shape[1] != N or not np.all(np.isfinite(R)):
            raise InputError(f"a readout matrix must be finite with {N} columns (one per degree of freedom), "
                             f"got shape {R.shape}")
        return Readout("matrix", R, tuple(f"r{j}" for j in range(R.shape[0])))
    if which == "heights":
        m = system.n_labels
        return Readout(which, np.eye(N), tuple(f"x{a} (node {a // m}, label {a % m})" for a in range(N)))
    if which == "residuals":
        if system.n_points == 0:
            raise InputError("readout 'residuals' needs data springs; this system has none")
        group = system.elements.of_kind("spring")[0]
        return Readout(which, group.levers.toarray(),
                       tuple(f"point {p}, label {lab}" for p, lab in zip(group.meta["point"], group.meta["label"])))
    if which.startswith("node:"):
        text = which[5:]
        try:
            i = int(text)
        except ValueError:
            raise InputError(f"readout {which!r}: the index must be an integer, got {text!r}") from None
        if not 0 <= i < N:
            raise InputError(f"readout {which!r}: degree of freedom {i} is out of range (0 to {N - 1})")
        R = np.zeros((1, N))
        R[0, i] = 1.0
        return Readout(which, R, (f"x{i}",))
    raise InputError(f"unknown readout {which!r}; choose 'heights', 'residuals' or 'node:I'")


# ------------------------------------------------------------------------------ response and spectra
def _dense(system):
    return system.cached("response.dense", lambda: tuple(
        A.toarray() for A in (system.stiffness_matrix, system.mass_matrix, system.damping_matrix)))


def _readout_chi(system, omega, R) -> np.ndarray:
    """``R χ(ω)`` for every ω, shape (n_ω, n_r, N)."""
    K, M, G = _dense(system)
    D = K[None] - omega[:, None, None] ** 2 * M[None] + 1j * omega[:, None, None] * G[None]
    # χ is symmetric (D is): R χ = (χ Rᵀ)ᵀ = solve(D, Rᵀ)ᵀ
    X = np.linalg.solve(D, np.broadcast_to(R.T.astype(complex), (len(omega),) + R.T.shape))
    return np.swapaxes(X, 1, 2)


def response(system, omega, readout="heights") -> np.ndarray:
    """``R χ(ω) Rᵀ``, complex (n_ω, n_r, n_r): the readouts' displacement per unit force.

    Parameters
    ----------
    system : System
    omega : array-like
        Angular frequencies > 0 (radians per time unit of the system).
    readout : str, Readout or array
        See :func:`readout_matrix`.
    """
    w = check_omega(omega)
    R = readout_matrix(system, readout).matrix
    return _readout_chi(system, w, R) @ R.T


def noise_matrix(system, noiseless=()) -> np.ndarray:
    """The force-noise matrix ``Γ_n = Σ_e r_e c_e c_eᵀ`` over the dampers that are noisy (dense N × N).

    ``noiseless`` lists damper rows (the noise channels, :attr:`System.damper_levers`' order)
    whose thermal force is switched off; their drag stays in χ. With none switched off Γ_n = Γ.
    """
    L = system.damper_levers
    r = system.damper_values.copy()
    off = np.asarray(list(noiseless), dtype=int)
    if off.size:
        if off.min() < 0 or off.max() >= r.size:
            bad = off[(off < 0) | (off >= r.size)][0]
            raise InputError(f"noiseless damper {bad} is out of range (0 to {r.size - 1})")
        r[off] = 0.0
    return (L.T @ (L.multiply(r[:, None]))).toarray()


def noise_spectrum(system, omega, readout="heights", *, noiseless=()) -> np.ndarray:
    """``2 k_BT · R χ Γ_n χᴴ Rᵀ``, Hermitian (n_ω, n_r, n_r): the readouts' two-sided spectrum per
    unit angular frequency for ``fdt`` noise (``Γ_n`` = Γ unless dampers are ``noiseless``,
    :func:`noise_matrix`). Raises for ``paper`` noise, which obeys no fluctuation–dissipation relation.
    """
    require_fdt_spectrum(system)
    w = check_omega(omega)
    Y = _readout_chi(system, w, readout_matrix(system, readout).matrix)
    Gn = noise_matrix(system, noiseless)
    return 2.0 * system.kT * (Y @ Gn @ np.conj(np.swapaxes(Y, 1, 2)))


def fdt_spectrum(system, omega, readout="heights") -> np.ndarray:
    """``−(2 k_BT/ω) · Im(R χ Rᵀ)``, real (n_ω, n_r, n_r): the spectrum the fluctuation–dissipation
    theorem predicts from the response alone."""
    require_fdt_spectrum(system)
    w = check_omega(omega)
    return -2.0 * system.kT / w[:, None, None] * response(system, w, readout).imag


def require_fdt_spectrum(system):
    """InputError unless ``system`` has ``fdt`` noise: only then is its spectrum the FDT's
    (the circuit's own rule, that it realises fdt noise only, is :func:`ss_circuit.sources.require_fdt`)."""
    if system.noise != "fdt":
        raise InputError(f"physics.noise={system.noise!r} has no fluctuation-dissipation relation (its kicks on every "
                         "velocity are not the thermal force of the drag, and its stationary state is not Gibbs); "
                         "the spectrum is defined for noise='fdt'")


# ------------------------------------------------------------------------------ modes
def modes(system) -> dict:
    """The damped modes of one label (every label has the same): ``omega`` (ω_n = √ω²_n of
    ``Kφ = ω²Mφ``), ``quality`` (Q_n = ω_n/γ, inf without friction; Q > ½ is underdamped),
    ``free`` (ω_n ≈ 0: pinned by no spring) and ``damped_omega`` (√(ω_n² − γ²/4), 0 when overdamped)."""
    from .spectrum import mode_frequencies

    w2 = np.maximum(mode_frequencies(system), 0.0)
    free = w2 <= 1e-12 * max(float(w2.max()) if w2.size else 0.0, 1.0)
    w = np.where(free, 0.0, np.sqrt(w2))
    g = system.friction
    Q = w / g if g > 0 else np.full_like(w, np.inf)
    return {"omega": w, "quality": Q, "free": free, "damped_omega": np.sqrt(np.maximum(w * w - g * g / 4, 0.0))}


def pinned_readouts(system, readout="heights") -> np.ndarray:
    """True for readout rows that see no free mode (rows in the range of K): their spectrum stays
    bounded at ω → 0 and integrates to k_BT·R K⁺ Rᵀ."""
    R = readout_matrix(system, readout).matrix
    K = _dense(system)[0]
    if not K.any():
        return np.zeros(R.shape[0], dtype=bool)
    w, V = np.linalg.eigh(K)
    null = V[:, w <= 1e-10 * w.max()]
    leak = np.linalg.norm(R @ null, axis=1) if null.size else np.zeros(R.shape[0])
    return leak <= 1e-8 * np.maximum(np.linalg.norm(R, axis=1), 1e-300)


def integrated_spectrum(system, readout="heights", *, epsrel: float = 1e-10) -> np.ndarray:
    """``∫_{−∞}^{∞} diag S(ω) dω/2π`` for every readout row (adaptive quadrature of
    :func:`noise_spectrum`; rows that see a free mode diverge and come back as ``inf``).

    The spectrum is even in ω, so the integral is ``(1/π)∫_0^∞``: split at the resonances
    ``ω_n`` and at 10× the largest rate, the tail mapped onto a finite interval by
    :func:`scipy.integrate.quad_vec`.
    """
    from scipy.integrate import quad_vec

    R = readout_matrix(system, readout).matrix
    pinned = pinned_readouts(system, R)
    out = np.full(R.shape[0], np.inf)
    if not pinned.any():
        return out
    Rp = R[pinned]
    md = modes(system)

    def f(w):
        return noise_spectrum(system, [max(w, 1e-300)], Rp)[0].diagonal().real / math.pi

    top = 10.0 * max(float(md["omega"].max()), system.friction, 1e-12)
    edges = np.unique(np.concatenate([[0.0], md["omega"][~md["free"]], [top]]))
    total = sum(quad_vec(f, a, b, epsrel=epsrel, epsabs=0)[0] for a, b in zip(edges[:-1], edges[1:]))
    total = total + quad_vec(f, top, np.inf, epsrel=epsrel, epsabs=0)[0]
    out[pinned] = total
    return out


def equipartition(system, readout="heights") -> dict:
    """∫S dω/2π against equipartition ``k_BT · diag(R K⁺ Rᵀ)`` on the pinned readouts.

    Returns ``integral``, ``expected`` and ``ratio`` per readout row (NaN where a free mode makes
    the integral diverge), ``pinned`` (the mask) and ``max_rel_err`` over the pinned rows.
    """
    R = readout_matrix(system, readout).matrix
    pinned = pinned_readouts(system, R)
    K = _dense(system)[0]
    expected = system.kT * np.einsum("ij,jk,ik->i", R, np.linalg.pinv(K, rcond=1e-10, hermitian=True), R)
    integral = integrated_spectrum(system, R)
    ratio = np.full(R.shape[0], np.nan)
    ratio[pinned] = integral[pinned] / expected[pinned]
    err = float(np.max(np.abs(ratio[pinned] - 1))) if pinned.any() else math.nan
    return {"integral": np.where(pinned, integral, np.nan), "expected": np.where(pinned, expected, np.nan),
            "ratio": ratio, "pinned": pinned, "max_rel_err": err}


def decade_grid(omega_min, omega_max, per_decade: int) -> np.ndarray:
    """``ω_k = ω_min · 10^(k/per_decade)`` up to ``ω_max``: the grid of a SPICE ``dec`` sweep.

    InputError naming the value for frequencies ≤ 0 or ``omega_max < omega_min``.
    """
    lo, hi = check_omega([omega_min], "the lowest frequency")[0], check_omega([omega_max], "the highest frequency")[0]
    if isinstance(per_decade, bool) or int(per_decade) != per_decade or per_decade < 1:
        raise InputError(f"points per decade must be an integer >= 1, got {per_decade!r}")
    if hi < lo:
        raise InputError(f"the highest frequency {hi!r} is below the lowest {lo!r}")
    n = int(math.floor(per_decade * math.log10(hi / lo) + 1e-9)) + 1
    return lo * 10.0 ** (np.arange(n) / per_decade)
