"""Records -> indicator values: read and validate the input tables, stage them in DuckDB, and
compute every indicator of the framework per unit and year."""
