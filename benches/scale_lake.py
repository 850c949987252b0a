"""Makes a lake of N x the clients from a demo deployment's lake, for the compute
benchmark at national scale without ingesting millions of small files again.

Every part of the client tables is written N times, copy k with k prefixed to
each identifier (allocation, message, declaration and reference numbers, client
pseudonym, respondent), so the copies are distinct clients with the same
histories at the same providers; the reference tables are copied once. Each part
keeps its schema, compression and single row group, so the copy's files look
like the ones ingest writes, only more of them.

Usage: python3 benches/scale_lake.py SOURCE_DEPLOYMENT TARGET_DEPLOYMENT N
(needs pyarrow: pip install pyarrow)
"""

import shutil
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

IDENTIFIERS = {
    "toewijzingen": ["bericht_identificatie", "client_pseudoniem", "toewijzingnummer"],
    "zorgmeldingen": ["bericht_identificatie", "client_pseudoniem", "toewijzingnummer"],
    "declaratieregels": [
        "bericht_identificatie",
        "client_pseudoniem",
        "declaratienummer",
        "referentienummer",
        "vorig_referentienummer",
        "toewijzingnummer",
    ],
    "ervaringen": ["respondent_id", "client_pseudoniem"],
    "evaluaties": ["toewijzingnummer", "client_pseudoniem"],
}
REFERENCE = ["aanbieders", "producten", "wijken", "inwoners", "begroting", "quarantaine"]
# Copy k of batch (part) id i is batch i + k x OFFSET, with its own laadlog part:
# the lake counts a part only when its batch is in laadlog.
OFFSET = 100_000


def prefixed(table: pa.Table, columns: list[str], prefix: str) -> pa.Table:
    for name in columns:
        index = table.schema.get_field_index(name)
        column = table.column(index)
        # null stays null (an anonymous respondent, a debit line's vorig_referentienummer)
        changed = pc.binary_join_element_wise(pa.scalar(prefix), column, "").cast(column.type)
        table = table.set_column(index, table.schema.field(index), changed)
    return table


def main() -> None:
    source, target, copies = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
    source_lake, target_lake = source / "data" / "lake", target / "data" / "lake"
    if target.exists():
        shutil.rmtree(target)
    target_lake.mkdir(parents=True)
    shutil.copy(source / "data" / "pseudonym.key", target / "data" / "pseudonym.key")
    for name in REFERENCE:
        if (source_lake / name).exists():
            shutil.copytree(source_lake / name, target_lake / name)
    (target_lake / "laadlog").mkdir()
    for part in sorted((source_lake / "laadlog").glob("part-*.parquet")):
        for copy in range(copies):
            shutil.copy(part, target_lake / "laadlog" / part_name(part_id(part) + copy * OFFSET))
    for name, columns in IDENTIFIERS.items():
        (target_lake / name).mkdir()
        parts = sorted((source_lake / name).glob("part-*.parquet"))
        for part in parts:
            metadata = pq.read_metadata(part)
            compression = metadata.row_group(0).column(0).compression.lower() if metadata.num_row_groups else "snappy"
            table = pq.read_table(part)
            for copy in range(copies):
                out = table if copy == 0 else prefixed(table, columns, str(copy))
                pq.write_table(
                    out,
                    target_lake / name / part_name(part_id(part) + copy * OFFSET),
                    compression=compression,
                    row_group_size=max(out.num_rows, 1),
                )
        print(f"{name}: {len(parts)} parts x {copies}")


def part_id(path: Path) -> int:
    return int(path.stem.removeprefix("part-"))


def part_name(number: int) -> str:
    return f"part-{number:08d}.parquet"


if __name__ == "__main__":
    main()
