"""Keyed random draws: uniform, independent across keys, identical for scalars and arrays."""

import numpy as np
import pytest
from scipy import stats
from spiral.model.draws import Phase, phase_key, run_key, uniform

KEY = run_key(2024)
N = 4_000_000  # draws in the distribution tests
ALPHA = 1e-4   # a correct mixer fails a test below about once in 10,000 seeds


def test_uniform_in_unit_interval_and_chi_square_uniform():
    u = uniform(KEY, Phase.BEHAVIOUR, 3, np.arange(N))
    assert u.min() >= 0.0 and u.max() < 1.0
    bins = 1000
    counts = np.bincount((u * bins).astype(np.int64), minlength=bins)
    chi2 = ((counts - N / bins) ** 2 / (N / bins)).sum()
    assert stats.chi2.sf(chi2, bins - 1) > ALPHA


def test_no_serial_correlation_along_citizens_months_and_friends():
    z = stats.norm.isf(ALPHA / 2)
    limit = z / np.sqrt(N)  # |r| of independent samples is below this with prob 1 - ALPHA
    citizens = np.arange(N)
    u = uniform(KEY, Phase.UNFRIEND, 7, citizens, 11)
    assert abs(np.corrcoef(u[:-1], u[1:])[0, 1]) < limit
    # same citizen, neighbouring friends; same citizen and friend, neighbouring months
    v = uniform(KEY, Phase.UNFRIEND, 7, citizens, 12)
    assert abs(np.corrcoef(u, v)[0, 1]) < limit
    w = uniform(KEY, Phase.UNFRIEND, 8, citizens, 11)
    assert abs(np.corrcoef(u, w)[0, 1]) < limit
    # another phase, another run
    assert abs(np.corrcoef(u, uniform(KEY, Phase.HEARING, 7, citizens, 11))[0, 1]) < limit
    assert abs(np.corrcoef(u, uniform(run_key(2025), Phase.UNFRIEND, 7, citizens, 11))[0, 1]) \
        < limit


def test_pairs_are_uniform_in_the_unit_square():
    """Consecutive draws jointly uniform: a 2-D chi-square over 50 x 50 cells."""
    u = uniform(KEY, Phase.REWIRE, 1, np.arange(N // 2), 4, 0)
    v = uniform(KEY, Phase.REWIRE, 1, np.arange(N // 2), 4, 1)
    cells = 50
    counts = np.bincount((u * cells).astype(np.int64) * cells + (v * cells).astype(np.int64),
                         minlength=cells * cells)
    expected = u.size / cells**2
    chi2 = ((counts - expected) ** 2 / expected).sum()
    assert stats.chi2.sf(chi2, cells * cells - 1) > ALPHA


def test_scalar_and_array_calls_give_the_same_bits():
    rng = np.random.default_rng(5)
    citizens = rng.integers(0, 2**40, size=200)
    others = rng.integers(0, 2**20, size=200)
    arrays = uniform(KEY, Phase.HEARING, 12, citizens, others)
    scalars = [uniform(KEY, Phase.HEARING, 12, int(c), int(o))
               for c, o in zip(citizens, others, strict=True)]
    zero_d = [float(uniform(KEY, Phase.HEARING, 12, np.array(c), np.array(o)))
              for c, o in zip(citizens, others, strict=True)]
    assert arrays.tolist() == scalars == zero_d


def test_draws_do_not_depend_on_order_or_batch():
    citizens = np.arange(10_000)
    full = uniform(KEY, Phase.COURT, 4, citizens)
    perm = np.random.default_rng(1).permutation(citizens.size)
    assert np.array_equal(uniform(KEY, Phase.COURT, 4, citizens[perm]), full[perm])
    assert np.array_equal(uniform(KEY, Phase.COURT, 4, citizens[5000:]), full[5000:])


def test_keys_differ_by_every_word():
    base = uniform(KEY, Phase.REWIRE, 3, 10, 20, 1)
    assert base != uniform(KEY, Phase.REWIRE, 3, 10, 20, 2)
    assert base != uniform(KEY, Phase.REWIRE, 3, 10, 21, 1)
    assert base != uniform(KEY, Phase.REWIRE, 3, 11, 20, 1)
    assert base != uniform(KEY, Phase.REWIRE, 4, 10, 20, 1)
    assert base != uniform(KEY, Phase.UNFRIEND, 3, 10, 20, 1)
    assert base != uniform(run_key(1), Phase.REWIRE, 3, 10, 20, 1)
    assert phase_key(KEY, Phase.COURT, 1) != phase_key(KEY, Phase.COURT, 2)


def test_bad_key_words_are_refused():
    with pytest.raises(ValueError):
        uniform(KEY, Phase.COURT, 1, -1)
    with pytest.raises(TypeError):
        uniform(KEY, Phase.COURT, 1, np.array([0.5]))
    with pytest.raises(TypeError):
        uniform(KEY, Phase.COURT, 1)


def test_several_runs_in_one_call_draw_what_each_run_draws_alone():
    """The batched engine's path: per-element phase keys give each run its own numbers."""
    from spiral.model.draws import phase_keys, uniform_from

    keys = np.array([run_key(s) for s in range(40)] + [2**64 - 1, 0], dtype=np.uint64)
    for phase, month in ((Phase.BEHAVIOUR, 0), (Phase.UNFRIEND, 7), (Phase.CLOSURE, 10**6)):
        starts = phase_keys(keys, phase, month)
        assert starts.tolist() == [phase_key(int(k), phase, month) for k in keys]
        run = np.repeat(np.arange(keys.size), 5)
        citizen = np.tile(np.arange(5), keys.size)
        together = uniform_from(starts[run], citizen, citizen + 1)
        alone = np.concatenate([uniform(int(k), phase, month, np.arange(5), np.arange(1, 6))
                                for k in keys])
        assert np.array_equal(together, alone)


@pytest.mark.parametrize("threads", [1, 2])
def test_one_draw_per_citizen_of_each_block_is_each_run_s_own_draw(threads):
    import numba
    from spiral.model.draws import phase_keys, uniform_by_block

    keys = np.array([run_key(s) for s in range(30)] + [2**64 - 1, 0], dtype=np.uint64)
    sizes = np.array([(7 * k) % 23 for k in range(keys.size)]) * 900  # empty blocks too
    offsets = np.concatenate([[0], np.cumsum(sizes)])
    before = numba.get_num_threads()
    numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
    try:
        together = uniform_by_block(phase_keys(keys, Phase.TURNOVER, 3), offsets)
    finally:
        numba.set_num_threads(before)
    alone = np.concatenate([uniform(int(k), Phase.TURNOVER, 3, np.arange(n))
                            for k, n in zip(keys, sizes, strict=True)])
    assert offsets[-1] > 2**14 and np.array_equal(together, alone)  # large enough to thread
