"""Imports of companies and their contacts from CSV or XLSX files.

`files` reads a file (kind, encoding, delimiter, rows); `mapping` says which column fills which
field; `rows` types one row and finds its bad cells; `matching` finds the existing company a row
is; `preview` writes the dry run's plan to the `workspace`; `runs` starts a confirmed import and
applies its plan batch by batch through `apply`; `undo` reverses a whole import; `sample` writes
the demo's sample file.
"""
