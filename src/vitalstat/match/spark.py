"""The Spark backend: the same Splink model scored by Splink's Spark API.

Cleaning, the pre-pass and pruning run locally (DuckDB over Arrow); the two candidate
tables go to Spark, Splink scores every blocked pair there, and the predictions come
back as Arrow for the same decision rules. A local session (``local[2]``) is started on
first use; ``VITALSTAT_SPARK_MASTER`` points it at a cluster instead.
"""

from __future__ import annotations

import functools
import os
from typing import Any

import pyarrow as pa

from vitalstat.errors import ConfigError
from vitalstat.match.model import Model

__all__ = ["spark_predictions", "spark_session"]


@functools.cache
def spark_session() -> Any:
    try:
        from pyspark.sql import SparkSession
    except ImportError:  # pragma: no cover - depends on the install
        raise ConfigError("--engine spark needs pyspark: pip install 'vitalstat[spark]'"
                          ) from None
    from splink.backends.spark import similarity_jar_location

    master = os.environ.get("VITALSTAT_SPARK_MASTER", "local[2]")
    spark = (SparkSession.builder.master(master).appName("vitalstat-match")
             .config("spark.jars", similarity_jar_location())
             .config("spark.ui.showConsoleProgress", "false")
             .config("spark.sql.shuffle.partitions", "4")
             .config("spark.ui.enabled", "false")
             .config("spark.sql.execution.arrow.pyspark.enabled", "true")
             .getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    spark.sparkContext.setCheckpointDir("/tmp/vitalstat-spark-checkpoints")
    return spark


def spark_predictions(rows: pa.Table, records: pa.Table, model: Model) -> pa.Table:
    """Splink predictions (``SCORE_FLOOR`` and up) for ``rows`` x ``records`` on Spark."""
    from splink import SparkAPI

    from vitalstat.match import splink_model
    from vitalstat.match.engine import SCORE_FLOOR

    spark = spark_session()
    db_api = SparkAPI(spark_session=spark)
    spark.createDataFrame(rows).createOrReplaceTempView("vs_rows")
    spark.createDataFrame(records).createOrReplaceTempView("vs_records")
    link = splink_model.linker(db_api, "vs_rows", "vs_records", model)
    out = link.inference.predict(threshold_match_weight=SCORE_FLOOR, warning_mode="never")
    gammas = [f"gamma_{c}" for c in ("ssn", "first", "middle", "last", "dob")]
    frame = out.as_spark_dataframe().select(
        "source_dataset_l", "unique_id_l", "source_dataset_r", "unique_id_r",
        "match_weight", *gammas)
    return frame.toArrow()
