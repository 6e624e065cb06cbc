"""Synthetic people, death reports and a subscriber file: realistic, deterministic, offline.

Everything here is invented. Names are drawn with the 1990 US census frequencies shipped
by the ``names`` package (plus a few percent of accented, apostrophe, compound and
suffixed names); SSNs are random but valid; Faker (seeded) supplies ZIP codes and phone
numbers. The same seed and arguments always give byte-identical files.

``generate`` writes a whole scenario (legacy DMF full and update files, per-source
CSV/Parquet report files, a subscriber file with its answer key and ``manifest.tsv``);
``write_dmf_full_file`` streams a large DMF full file quickly for benchmarks.
"""

from vitalstat.synth.fastdmf import write_dmf_full_file
from vitalstat.synth.scenario import generate
from vitalstat.synth.types import Manifest, Progress, ReportFile

__all__ = ["Manifest", "Progress", "ReportFile", "generate", "write_dmf_full_file"]
