"""DuckLake: the store on several app servers (catalog in PostgreSQL, Parquet on shared storage), the local
PostgreSQL and cluster for tests and demos, moving a file store onto a lake, concurrent writers."""
