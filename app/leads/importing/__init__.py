"""Lead import from CSV and Excel: parse, map columns, validate, commit in one transaction."""
