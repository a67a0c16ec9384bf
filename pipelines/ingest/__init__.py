"""From a file to checked rows: reading workbooks and CSVs, validation into one findings table, the template."""
