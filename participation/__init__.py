"""Participation: procedures (Beteiligungsverfahren), statements with reference numbers, Abwägung, exports, audit.

Dependencies point one way: ``model`` is pure (no I/O); ``rows`` holds the SQL for both
stores; ``exports`` turns statement rows into XLSX/DOCX/CSV/GeoPackage; ``api/procedures.py``
is the HTTP face.
"""
