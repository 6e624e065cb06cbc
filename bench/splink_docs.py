"""Splink 5 as a competent user configures it from its documentation, trained on the job.

Standardise the columns (upper case, accents and punctuation stripped, SSN digits only,
partial dates of birth as missing), link_only with the comparison library's name, date
of birth and Levenshtein comparisons, blocking on SSN, on date of birth with either name
and on the full name; prior from a deterministic rule, u by random sampling, m by EM
on two blocking rules; a row's best pair is ``match`` at p >= 0.99, ``review`` at 0.9.
"""

from __future__ import annotations

import logging
from typing import Any

import duckdb


def _name(col: str) -> str:
    return (f"nullif(trim(regexp_replace(strip_accents(upper({col})), '[^A-Z ]', '', 'g')), '')")


def run_splink(registry: str, subscriber: str, out: str) -> dict[str, Any]:
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    logging.getLogger("splink").setLevel(logging.WARNING)
    con = duckdb.connect()
    con.execute(f"""CREATE TABLE subs AS SELECT id AS unique_id,
        nullif(regexp_replace(ssn, '[^0-9]', '', 'g'), '') AS ssn,
        {_name('first_name')} AS first_name, {_name('middle_name')} AS middle_name,
        {_name('last_name')} AS surname, nullif(dob, '') AS dob
        FROM read_csv('{subscriber}', all_varchar=true)""")
    con.execute(f"""CREATE TABLE recs AS SELECT ssn AS unique_id, ssn,
        nullif(first_name, '') AS first_name, nullif(middle_name, '') AS middle_name,
        nullif(last_name, '') AS surname,
        CASE WHEN date_of_birth LIKE '%-00%' THEN NULL ELSE date_of_birth END AS dob
        FROM read_parquet('{registry}')""")
    db_api = DuckDBAPI(con)
    settings = SettingsCreator(
        link_type="link_only",
        comparisons=[
            cl.NameComparison("first_name"),
            cl.NameComparison("middle_name"),
            cl.NameComparison("surname"),
            cl.DateOfBirthComparison("dob", input_is_string=True),
            cl.LevenshteinAtThresholds("ssn", [1, 2]),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("ssn"),
            block_on("dob", "surname"),
            block_on("dob", "first_name"),
            block_on("first_name", "surname"),
        ],
        retain_intermediate_calculation_columns=False,
    )
    linker = Linker([db_api.register("subs", dataset_display_name="a_subs"),
                     db_api.register("recs", dataset_display_name="b_recs")], settings,
                    log_level=None)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("ssn", "dob")], recall=0.7)
    linker.training.estimate_u_using_random_sampling(max_pairs=5e6)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("ssn"))
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("first_name", "surname"))
    pred = linker.inference.predict(threshold_match_probability=0.5)
    con.execute(f"""COPY (
        WITH p AS (SELECT CASE WHEN source_dataset_l = 'a_subs' THEN unique_id_l
                               ELSE unique_id_r END AS id,
                          CASE WHEN source_dataset_l = 'a_subs' THEN unique_id_r
                               ELSE unique_id_l END AS rec, match_probability
                   FROM {pred.physical_name}
                   QUALIFY row_number() OVER (PARTITION BY id ORDER BY match_probability DESC)
                     = 1)
        SELECT s.unique_id AS id,
               CASE WHEN p.match_probability >= 0.99 THEN 'match'
                    WHEN p.match_probability >= 0.9 THEN 'review' ELSE 'none' END AS decision,
               CASE WHEN p.match_probability >= 0.9 THEN p.rec ELSE '' END AS dmf_ssn
        FROM subs s LEFT JOIN p ON p.id = s.unique_id
    ) TO '{out}' (FORMAT parquet)""")
    pairs = con.execute(f"SELECT count(*) FROM {pred.physical_name}").fetchall()[0][0]
    return {"pairs_above_0_5": int(pairs)}
