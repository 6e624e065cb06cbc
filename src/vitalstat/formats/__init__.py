"""File formats: the 100-byte DMF layout and the tabular (CSV, Parquet) schema."""
