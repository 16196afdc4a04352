"""The two progress bars of a demo load (`seed-demo`, the benchmarks' database builds): the
companies inserted, then the issued documents frozen, which at a million companies is most of
the wait."""
from collections.abc import Callable, Iterator
from contextlib import contextmanager


@contextmanager
def seed_bars(companies: int, desc: str | None = None, disable: bool = False,
              unit_scale: bool = False
              ) -> Iterator[tuple[Callable[[int], None], Callable[[int, int], None]]]:
    """`(progress, freeze_progress)` for `seed_demo`, each drawing its own tqdm bar."""
    from tqdm import tqdm
    with tqdm(total=companies, desc=desc, unit=" companies", unit_scale=unit_scale,
              disable=disable) as bar, \
            tqdm(desc="documents", unit=" documents", unit_scale=unit_scale, disable=disable,
                 delay=0.1) as documents:
        def frozen(done: int, total: int) -> None:
            documents.total = total
            documents.update(done - documents.n)
        yield bar.update, frozen
